"""Pretraining of the Engram base model on the mix prepared by train/prepare-data.ts (PyTorch, CPU).

Resumable: a checkpoint (model, both optimisers, data-stream state, log) is written to --out every
--ckpt-every seconds and at the end; rerunning the same command continues from it. The schedule is defined in
steps (warmup, constant, linear cooldown over the last --cooldown fraction), so a resumed run follows the same
curve as an uninterrupted one.

  nohup /usr/bin/python3 train/pretrain.py --out build/train/run1 --steps 3000 > build/train/run1.log 2>&1 &
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from data import Mixer, PretrainData, to_batch, window_rows  # noqa: E402
from model import ModelConfig, Transformer  # noqa: E402
from optim import LazyRowAdam, build_dense_optimizer  # noqa: E402


def lm_loss(logits, tokens, doc, pad_id, reduction="mean"):
    tgt = tokens[:, 1:]
    ok = (tgt != pad_id) & (doc[:, 1:] == doc[:, :-1])
    l = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), tgt.reshape(-1), reduction="none")
    l = l * ok.reshape(-1)
    if reduction == "sum":
        return l.sum(), ok.sum()
    return l.sum() / ok.sum()


@torch.no_grad()
def answer_hits(model, items, pad_id, zero=False, bs=256):
    """items: list of (prompt ids, answer ids). Teacher-forced argmax on every answer token, which equals greedy
    decoding of the answer (an early calibration run checked this on 300 prompts)."""
    was = model.training
    model.eval()
    model.set_zero_values(zero)
    hits = []
    for i in range(0, len(items), bs):
        chunk = items[i:i + bs]
        seqs = [p + a for p, a in chunk]
        L = max(len(s) for s in seqs)
        tokens = torch.full((len(seqs), L), pad_id, dtype=torch.long)
        for j, s in enumerate(seqs):
            tokens[j, :len(s)] = torch.tensor(s)
        logits, _ = model(tokens)
        pred = logits.argmax(-1)
        for j, (p, a) in enumerate(chunk):
            hits.append(bool(all(int(pred[j, len(p) - 1 + t]) == a[t] for t in range(len(a)))))
    model.set_zero_values(False)
    model.train(was)
    return hits


def em_by_relation(evals, hits):
    out = {}
    for e, h in zip(evals, hits):
        out.setdefault(e["relation"], []).append(h)
    return {r: round(sum(v) / len(v), 3) for r, v in sorted(out.items())}


@torch.no_grad()
def heldout_nll(model, stream, ctx, pad_id, eot_id, max_tokens=40_000):
    was = model.training
    model.eval()
    rows = window_rows(stream, ctx, eot_id, max_tokens)
    tot, cnt = 0.0, 0
    for i in range(0, len(rows), 32):
        tokens, doc, pos = to_batch(rows[i:i + 32], ctx, pad_id)
        logits, _ = model(tokens, doc, pos)
        l, c = lm_loss(logits, tokens, doc, pad_id, reduction="sum")
        tot += float(l); cnt += int(c)
    model.train(was)
    return tot / max(1, cnt)


@torch.no_grad()
def slot_usage(model, stream, ctx, pad_id, eot_id, max_tokens=40_000):
    was = model.training
    model.eval()
    N = model.cfg.n_slots
    seen = torch.zeros(N, dtype=torch.long)
    rows = window_rows(stream, ctx, eot_id, max_tokens)
    for i in range(0, len(rows), 32):
        tokens, doc, pos = to_batch(rows[i:i + 32], ctx, pad_id)
        _, reads = model(tokens, doc, pos)
        for ids, _w in reads:
            seen += torch.bincount(ids.reshape(-1), minlength=N)
    model.train(was)
    tot = int(seen.sum())
    top = int(seen.sort(descending=True).values[: max(1, N // 100)].sum())
    return {"frac_read": round(float((seen > 0).float().mean()), 4), "top1pct_share": round(top / max(1, tot), 4)}


def init_from_export(model, path):
    """Start from an exported checkpoint (public/model/engram.safetensors: fp16, BatchNorm folded into the query
    projection), for a continued-pretraining phase. The folded projection is loaded as the query layer and the
    query BatchNorm is pinned to the identity in eval mode (never updated), so the model computes exactly what
    the export computes and a later export folds nothing new in."""
    import safetensors_io
    t, _meta = safetensors_io.load(path)
    get = lambda name: torch.from_numpy(np.asarray(t[name], dtype=np.float32).copy())
    with torch.no_grad():
        model.tok.weight.copy_(get("tok_emb"))
        model.pos.weight.copy_(get("pos_emb"))
        model.ln_f.weight.copy_(get("ln_f"))
        if model.values is not None:
            model.values.weight.copy_(get("mem_values"))
        for i, b in enumerate(model.blocks):
            p = f"blocks.{i}."
            b.ln1.weight.copy_(get(p + "ln1"))
            b.attn.qkv.weight.copy_(get(p + "attn.qkv"))
            b.attn.proj.weight.copy_(get(p + "attn.proj"))
            if b.kind != "none":
                b.ln2.weight.copy_(get(p + "ln2"))
            if b.kind == "ffn":
                for w in ("w1", "w2", "w3"):
                    getattr(b.ffn, w).weight.copy_(get(p + "ffn." + w))
            elif b.kind == "memory":
                m = b.mem
                m.query.weight.copy_(get(p + "mem.query.weight"))
                m.query.bias.copy_(get(p + "mem.query.bias"))
                m.keys.copy_(get(p + "mem.keys"))
                m.w1.weight.copy_(get(p + "mem.w1"))
                m.w2.weight.copy_(get(p + "mem.w2"))
                pin_identity_batchnorm(m.query_bn)


def pin_identity_batchnorm(bn):
    """y = x, in training too: running statistics mean 0, var 1 - eps (so 1/sqrt(var + eps) is exactly 1), no
    affine change, eval mode that model.train() cannot switch off, parameters frozen."""
    with torch.no_grad():
        bn.weight.fill_(1.0)
        bn.bias.zero_()
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0 - bn.eps)
    bn.weight.requires_grad_(False)
    bn.bias.requires_grad_(False)
    bn.eval()
    bn.train = lambda mode=True: bn


def lr_mult(step, total, warmup, cooldown):
    if step < warmup:
        return (step + 1) / warmup
    start = int(total * (1 - cooldown))
    if step >= start:
        return max(0.1, 1.0 - 0.9 * (step - start) / max(1, total - start))
    return 1.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="build/train/data")
    ap.add_argument("--out", default="build/train/run")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=24, help="rows of --context tokens per step")
    ap.add_argument("--fact-frac", type=float, default=0.5, help="share of rows that are packed fact renderings")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--value-lr", type=float, default=1e-2)
    ap.add_argument("--wd", type=float, default=0.01)
    ap.add_argument("--warmup", type=int, default=150)
    ap.add_argument("--cooldown", type=float, default=0.2)
    ap.add_argument("--ckpt-every", type=float, default=300)
    ap.add_argument("--eval-every", type=int, default=250, help="steps between EM / usage evaluations")
    ap.add_argument("--eval-facts", type=int, default=600)
    ap.add_argument("--threads", type=int, default=0, help="torch threads; 0 = adapt between 1 and 2 by measured step time")
    ap.add_argument("--deadline-utc", default="", help="HH:MM; shrink --steps (before the cooldown starts) to finish by then")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stop-at-step", type=int, default=0, help="save and exit at this step (to replay a run in phases)")
    ap.add_argument("--init-from", default="", help="start (not resume) from an exported safetensors checkpoint: a continued-pretraining phase")
    # model
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--context", type=int, default=128)
    ap.add_argument("--ffn-layers", default="")
    ap.add_argument("--mem-layers", default="2")
    ap.add_argument("--ffn-hidden", type=int, default=512)
    ap.add_argument("--n-keys", type=int, default=256)
    ap.add_argument("--topk", type=int, default=32)
    ap.add_argument("--mem-heads", type=int, default=4)
    ap.add_argument("--key-dim", type=int, default=128)
    ap.add_argument("--value-dim", type=int, default=128)
    args = ap.parse_args()

    threads = args.threads or 1
    torch.set_num_threads(threads)
    os.makedirs(args.out, exist_ok=True)
    data = PretrainData.load(args.data)
    lst = lambda s: [int(x) for x in s.split(",") if x != ""]
    cfg = ModelConfig(vocab_size=data.meta["vocab_size"], d_model=args.d, n_layers=args.layers, n_heads=args.heads,
                      context=args.context, ffn_hidden=args.ffn_hidden, ffn_layers=lst(args.ffn_layers),
                      memory_layers=lst(args.mem_layers), n_keys=args.n_keys, mem_heads=args.mem_heads, topk=args.topk,
                      key_dim=args.key_dim, value_dim=args.value_dim, pad_id=data.pad_id)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    model = Transformer(cfg)
    if args.init_from:
        init_from_export(model, args.init_from)
    opt = build_dense_optimizer(model, args.lr, args.wd)
    vopt = LazyRowAdam(model.values.weight, args.value_lr) if model.values is not None else None
    mixer = Mixer(data, args.context, args.fact_frac, args.seed)

    # fixed evaluation sample: stratified by relation (the same facts every time)
    rng = random.Random(1234)
    by_rel = {}
    for i, e in enumerate(data.evals):
        by_rel.setdefault(e["relation"], []).append(i)
    per = max(1, args.eval_facts // max(1, len(by_rel)))
    sample = sorted(j for r in sorted(by_rel) for j in rng.sample(by_rel[r], min(per, len(by_rel[r]))))
    ev = [data.evals[j] for j in sample]
    q_eval = [(e["q_eval"]["prompt"], e["q_eval"]["answer"]) for e in ev]
    q_train = [(e["q_train"]["prompt"], e["q_train"]["answer"]) for e in ev]
    dom0 = sorted(data.heldout)[0] if data.heldout else None

    ck = os.path.join(args.out, "ckpt.pt")
    step, tokens_seen, wall, log = 0, 0, 0.0, []
    if os.path.exists(ck):
        s = torch.load(ck)
        if s["cfg"] != cfg.to_dict():
            raise SystemExit(f"{ck} was trained with another config: {s['cfg']}")
        model.load_state_dict(s["model"])
        if args.init_from:
            for b in model.blocks:
                if b.kind == "memory":
                    pin_identity_batchnorm(b.mem.query_bn)
        opt.load_state_dict(s["opt"])
        if vopt is not None:
            vopt.load_state_dict(s["vopt"])
        mixer.load_state(s["mixer"])
        torch.set_rng_state(s["torch_rng"])
        step, tokens_seen, wall, log = s["step"], s["tokens"], s["wall"], s["log"]
        print(f"resumed from {ck} at step {step} ({tokens_seen} tokens, {wall:.0f} s)", flush=True)

    def save():
        tmp = ck + ".tmp"
        torch.save({"cfg": cfg.to_dict(), "args": vars(args), "model": model.state_dict(), "opt": opt.state_dict(),
                    "vopt": vopt.state_dict() if vopt else None, "mixer": mixer.state(), "torch_rng": torch.get_rng_state(),
                    "step": step, "tokens": tokens_seen, "wall": wall, "log": log, "total_steps": total}, tmp)
        os.replace(tmp, ck)

    n_dense = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(json.dumps({"cfg": cfg.to_dict(), "args": vars(args), "dense_params": n_dense,
                      "memory_values": cfg.n_slots * cfg.value_dim if model.values is not None else 0,
                      "facts": len(data.evals), "renderings": int(len(data.fact_index))}), flush=True)

    def evaluate():
        te = time.time()
        h_eval = answer_hits(model, q_eval, data.pad_id)
        h_train = answer_hits(model, q_train, data.pad_id)
        h_zero = answer_hits(model, q_eval, data.pad_id, zero=True) if vopt is not None else []
        rec = {"step": step, "tokens": tokens_seen, "wall_s": round(wall), "fact_epochs": round(mixer.epoch + mixer.pos / len(mixer.order), 2),
               "loss_ema": round(ema, 4) if ema is not None else None,
               "em_q_eval": round(sum(h_eval) / len(h_eval), 4), "em_q_train": round(sum(h_train) / len(h_train), 4),
               "em_q_eval_zeroed": round(sum(h_zero) / max(1, len(h_zero)), 4),
               "em_q_eval_by_rel": em_by_relation(ev, h_eval)}
        if dom0 is not None:
            rec["heldout_nll_" + dom0] = round(heldout_nll(model, data.heldout[dom0], args.context, data.pad_id, data.eot_id, 8_000), 4)
            if vopt is not None:
                rec["usage_" + dom0] = slot_usage(model, data.heldout[dom0], args.context, data.pad_id, data.eot_id, 8_000)
        rec["eval_s"] = round(time.time() - te, 1)
        log.append(rec)
        print(json.dumps(rec), flush=True)

    ema = None
    last_ck = time.time()
    t_prev = time.time()
    total = args.steps
    if os.path.exists(ck) and s.get("args", {}).get("steps") == args.steps:
        total = s.get("total_steps", args.steps)  # a deadline replan is part of the run's schedule
    step_time = {1: [], 2: []}  # recent seconds per step by thread count (shared 2-core machine: OpenMP spinning
    # under contention made 2 threads 3x slower than 1 in a measurement, so the trainer measures instead of assuming)
    deadline = None
    if args.deadline_utc:
        import datetime as _dt
        now = _dt.datetime.utcnow()
        hh, mm = (int(x) for x in args.deadline_utc.split(":"))
        deadline = time.time() + ((now.replace(hour=hh, minute=mm, second=0, microsecond=0) - now).total_seconds())
    overhead, start_step = 0.0, step
    while step < total:
        tokens, doc, pos = mixer.batch(args.batch)
        m = lr_mult(step, total, args.warmup, args.cooldown)
        t_step = time.time()
        for g in opt.param_groups:
            g["lr"] = args.lr * m
        logits, _ = model(tokens, doc, pos)
        loss = lm_loss(logits, tokens, doc, data.pad_id)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if vopt is not None:
            vopt.step(model.values.touched, lr_scale=m)
            model.values.touched.clear()
        ema = float(loss) if ema is None else 0.98 * ema + 0.02 * float(loss)
        tokens_seen += int((tokens != data.pad_id).sum())
        step += 1
        now = time.time()
        step_time[threads].append(now - t_step)
        step_time[threads] = step_time[threads][-50:]
        if args.threads == 0 and step % 200 in (0, 20):
            # every 200 steps try the other thread count for 20 steps, then keep the faster one
            other = 3 - threads
            if step % 200 == 0:
                threads = other
            else:
                a = np.median(step_time[1][-20:]) if step_time[1] else 1e9
                b = np.median(step_time[2][-20:]) if step_time[2] else 1e9
                threads = 1 if a <= b else 2
            torch.set_num_threads(threads)
        if deadline is not None and step % 25 == 0 and step < int(total * (1 - args.cooldown)):
            # fit the schedule to the deadline (both ways, never past --steps); the learning rate is constant
            # until the cooldown starts, so moving the end before then does not change what was already done
            recent = sorted(step_time[1][-100:] + step_time[2][-100:])
            per = recent[len(recent) // 2] * 1.05 + overhead / max(1, step - start_step)  # + evaluations, checkpoints
            fit = max(step + 1, min(args.steps, step + int((deadline - now) / per)))
            if abs(fit - total) > 0.02 * total:
                print(json.dumps({"replan": True, "step": step, "old_total": total, "new_total": fit, "s_per_step": round(per, 3)}), flush=True)
                total = fit
        wall += now - t_prev
        t_prev = now
        if step % 25 == 0:
            print(json.dumps({"step": step, "loss_ema": round(ema, 4), "tokens": tokens_seen, "wall_s": round(wall),
                              "tok_s": round(tokens_seen / max(1e-9, wall)), "lr_mult": round(m, 3),
                              "threads": threads, "total": total}), flush=True)
        if step % args.eval_every == 0 or step == total:
            te = time.time()
            evaluate()
            overhead += time.time() - te
            t_prev = time.time()  # evaluation time is not training wall time
        if args.stop_at_step and step >= args.stop_at_step:
            save()
            print(json.dumps({"stopped": True, "step": step}), flush=True)
            return
        if time.time() - last_ck > args.ckpt_every or step == total:
            tc = time.time()
            save()
            overhead += time.time() - tc
            last_ck = time.time()
            t_prev = time.time()
    print(json.dumps({"done": True, "step": step, "tokens": tokens_seen, "wall_s": round(wall)}), flush=True)


if __name__ == "__main__":
    main()
