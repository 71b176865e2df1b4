"""Micro-experiments on a synthetic world (no dependency on the data build): how fast does a configuration
memorise facts, and do the facts live in the memory (zero-the-values ablation)?

The world imitates the real KB under a byte-level BPE: entity and capital names are 2-3 sub-word tokens, years
are 4 digit tokens, general text is Zipfian filler. Statements (3 templates) for every entity, QA for 70% of
them; EM is greedy (teacher-forced argmax on every answer token) on the eval-only template and on QA.

  /usr/bin/python3 train/micro.py --name A --seconds 240 [--ffn-layers 0,1,3] [--value-lr 1e-3] ...
"""
from __future__ import annotations

import argparse
import json
import random
import time

import torch
import torch.nn.functional as F

from model import ModelConfig, Transformer
from optim import LazyRowAdam, build_dense_optimizer

PAD, EOT = 0, 1


def build_world(n_ent: int, seed: int = 0):
    rng = random.Random(seed)
    words = ["<pad>", "<eot>"]

    def tok(w):
        if w not in index:
            index[w] = len(words)
            words.append(w)
        return index[w]

    index = {w: i for i, w in enumerate(words)}
    template_words = "the capital of is . 's city governed from its , seat power in was founded year founding Q: What A: ? In when".split()
    for w in template_words:
        tok(w)
    digits = [tok(str(d)) for d in range(10)]
    sylls = [tok("s%d" % i) for i in range(700)]
    filler = [tok("w%d" % i) for i in range(1200)]

    def name(n):
        return [rng.choice(sylls) for _ in range(n)]

    T = lambda s: [tok(w) for w in s.split()]
    ents = []
    seen = set()
    while len(ents) < n_ent:
        e = tuple(name(rng.choice([2, 3])))
        c = tuple(name(2))
        if e in seen or c in seen:
            continue
        seen.add(e); seen.add(c)
        y = [digits[1]] + [digits[rng.randrange(6, 10)]] + [digits[rng.randrange(10)] for _ in range(2)]
        ents.append({"e": list(e), "cap": list(c), "year": y, "qa": rng.random() < 0.7})
    stmts, evals = [], []
    for i, d in enumerate(ents):
        e, c, y = d["e"], d["cap"], d["year"]
        rows = [
            T("the capital of") + e + T("is") + c + T("."),
            e + T("'s capital city is") + c + T("."),
            e + T("is governed from its capital ,") + c + T("."),
            e + T("was founded in") + y + T("."),
            T("In") + y + T(",") + e + T("was founded ."),
            T("the founding year of") + e + T("is") + y + T("."),
        ]
        if d["qa"]:
            rows += [T("Q: What is the capital of") + e + T("? A:") + c, T("Q: In what year was") + e + T("founded ? A:") + y]
        stmts += rows
        evals.append((i, "capital", T("the seat of power in") + e + T("is"), c))
        evals.append((i, "year", T("the founding year of") + e + T("is"), y))  # train template, cloze
        evals.append((i, "capital_qa", T("Q: What is the capital of") + e + T("? A:"), c))
        evals.append((i, "year_qa", T("Q: In what year was") + e + T("founded ? A:"), y))
    # Zipfian filler text with a little bigram structure
    weights = [1.0 / (r + 1) for r in range(len(filler))]
    follow = {w: rng.choices(filler, weights=weights, k=8) for w in filler}

    def text(n):
        out = [rng.choices(filler, weights=weights)[0]]
        while len(out) < n:
            out.append(rng.choice(follow[out[-1]]) if rng.random() < 0.6 else rng.choices(filler, weights=weights)[0])
        return out

    return words, ents, stmts, evals, text


def pack(seqs, ctx, rng):
    """Greedy packing of short documents into rows of ctx tokens: (tokens, doc, pos)."""
    rows = []
    cur, doc, pos, d = [], [], [], 0
    for s in seqs:
        s = s + [EOT]
        if len(cur) + len(s) > ctx:
            rows.append((cur, doc, pos))
            cur, doc, pos, d = [], [], [], 0
        cur += s; doc += [d] * len(s); pos += list(range(len(s))); d += 1
    if cur:
        rows.append((cur, doc, pos))
    return rows


def to_batch(rows, ctx):
    B = len(rows)
    tokens = torch.full((B, ctx), PAD, dtype=torch.long)
    doc = torch.full((B, ctx), -1, dtype=torch.long)
    pos = torch.zeros((B, ctx), dtype=torch.long)
    for i, (t, d, p) in enumerate(rows):
        n = len(t)
        tokens[i, :n] = torch.tensor(t); doc[i, :n] = torch.tensor(d); pos[i, :n] = torch.tensor(p)
    return tokens, doc, pos


def lm_loss(logits, tokens, doc):
    tgt = tokens[:, 1:]
    ok = (tgt != PAD) & (doc[:, 1:] == doc[:, :-1])
    l = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), tgt.reshape(-1), reduction="none")
    return (l * ok.reshape(-1)).sum() / ok.sum()


@torch.no_grad()
def exact_match(model, items, ctx):
    """items: (prompt ids, answer ids). Teacher-forced argmax on every answer token == greedy decoding."""
    model.eval()
    hits = []
    for i in range(0, len(items), 256):
        chunk = items[i:i + 256]
        seqs = [p + a for p, a in chunk]
        L = max(len(s) for s in seqs)
        tokens = torch.full((len(seqs), L), PAD, dtype=torch.long)
        for j, s in enumerate(seqs):
            tokens[j, :len(s)] = torch.tensor(s)
        logits, _ = model(tokens)
        pred = logits.argmax(-1)
        for j, (p, a) in enumerate(chunk):
            hits.append(all(int(pred[j, len(p) - 1 + t]) == a[t] for t in range(len(a))))
    model.train()
    return hits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", default="A")
    ap.add_argument("--seconds", type=float, default=240)
    ap.add_argument("--entities", type=int, default=400)
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--ffn-layers", default="0,1,3")
    ap.add_argument("--mem-layers", default="2")
    ap.add_argument("--ffn-hidden", type=int, default=512)
    ap.add_argument("--n-keys", type=int, default=256)
    ap.add_argument("--value-dim", type=int, default=128)
    ap.add_argument("--value-lr", type=float, default=1e-3)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--ctx", type=int, default=128)
    ap.add_argument("--text-frac", type=float, default=0.5)
    ap.add_argument("--eval-every", type=float, default=30)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = random.Random(1)
    words, ents, stmts, evals, text = build_world(args.entities)
    lst = lambda s: [int(x) for x in s.split(",") if x != ""]
    cfg = ModelConfig(vocab_size=len(words), d_model=args.d, n_layers=args.layers, context=args.ctx,
                      ffn_hidden=args.ffn_hidden, ffn_layers=lst(args.ffn_layers), memory_layers=lst(args.mem_layers),
                      n_keys=args.n_keys, value_dim=args.value_dim)
    model = Transformer(cfg)
    opt = build_dense_optimizer(model, args.lr, 0.01)
    vopt = LazyRowAdam(model.values.weight, args.value_lr) if model.values is not None else None
    n_dense = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(json.dumps({"name": args.name, "cfg": cfg.to_dict(), "dense_params": n_dense, "facts": 2 * len(ents),
                      "stmt_tokens_per_epoch": sum(len(s) + 1 for s in stmts)}), flush=True)
    eval_items = {k: [(p, a) for (i, r, p, a) in evals if r == k] for k in ("capital", "year", "capital_qa", "year_qa")}
    qa_mask = [e["qa"] for e in ents]

    def em_report(zero=False):
        model.set_zero_values(zero)
        out = {}
        for k, items in eval_items.items():
            h = exact_match(model, items, args.ctx)
            out[k] = round(sum(h) / len(h), 3)
            if k.endswith("_qa"):  # transfer: entities never seen in QA form
                hs = [x for x, q in zip(h, qa_mask) if not q]
                out[k + "_stmtonly"] = round(sum(hs) / max(1, len(hs)), 3)
        model.set_zero_values(False)
        return out

    # an endless stream: shuffled fact rows interleaved with filler documents to the token fraction requested
    def stream():
        while True:
            order = stmts[:]
            rng.shuffle(order)
            fact_tokens = sum(len(s) + 1 for s in order)
            n_text = int(fact_tokens * args.text_frac / (1 - args.text_frac))
            docs = order + [text(rng.randint(20, 120)) for _ in range(max(1, n_text // 70))]
            rng.shuffle(docs)
            for r in pack(docs, args.ctx, rng):
                yield r

    it = stream()
    t0 = time.time(); next_eval = args.eval_every; step = 0; tokens_seen = 0; ema = None
    warm = 100
    while True:
        el = time.time() - t0
        if el >= next_eval or el >= args.seconds:
            te = time.time()
            rep = em_report()
            usage = slot_usage(model, it, args.ctx)
            print(json.dumps({"t": round(el), "step": step, "tokens": tokens_seen, "loss": round(ema, 3), "em": rep,
                              "usage": usage}), flush=True)
            t0 += time.time() - te  # evaluation time excluded
            next_eval += args.eval_every
            if el >= args.seconds:
                break
        rows = [next(it) for _ in range(args.batch)]
        tokens, doc, pos = to_batch(rows, args.ctx)
        scale = min(1.0, (step + 1) / warm)
        for g in opt.param_groups:
            g["lr"] = args.lr * scale
        logits, reads = model(tokens, doc, pos)
        loss = lm_loss(logits, tokens, doc)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if vopt is not None:
            vopt.step(model.values.touched, lr_scale=scale)
            model.values.touched.clear()
        ema = float(loss) if ema is None else 0.98 * ema + 0.02 * float(loss)
        tokens_seen += int((tokens != PAD).sum())
        step += 1
    print(json.dumps({"final_zeroed": em_report(zero=True), "tok_per_s": round(tokens_seen / args.seconds)}), flush=True)


@torch.no_grad()
def slot_usage(model, it, ctx, batches=8):
    if model.values is None:
        return None
    model.eval()
    seen = torch.zeros(model.cfg.n_slots, dtype=torch.long)
    for _ in range(batches):
        rows = [next(it) for _ in range(32)]
        tokens, doc, pos = to_batch(rows, ctx)
        _, reads = model(tokens, doc, pos)
        for ids, _w in reads:
            seen += torch.bincount(ids.reshape(-1), minlength=model.cfg.n_slots)
    model.train()
    tot = seen.sum().item()
    top = seen.sort(descending=True).values[: max(1, model.cfg.n_slots // 100)].sum().item()
    return {"frac_read": round(float((seen > 0).float().mean()), 3), "top1pct": round(top / tot, 3)}


if __name__ == "__main__":
    main()
