"""Export a pretraining checkpoint for the app: public/model/engram.safetensors (fp16, BatchNorm folded into the
query projection, background df as U16) + public/model/config.json (model config, byte size and sha256 of the
weights, how df was measured, the training record), and the golden batch train/golden/golden.json.

  /usr/bin/python3 train/export.py --ckpt build/train/run/ckpt.pt --df build/train/background-df.npz

Before writing anything it checks that the exported tensors, run through reference.py (the TypeScript
computation), reproduce Transformer.eval() on real data, and reports what fp16 costs in exact match.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import reference  # noqa: E402
import safetensors_io  # noqa: E402
from data import PretrainData  # noqa: E402
from model import ModelConfig, Transformer, export_state  # noqa: E402


def load_model(ckpt_path):
    s = torch.load(ckpt_path)
    cfg = ModelConfig(**s["cfg"])
    model = Transformer(cfg)
    model.load_state_dict(s["model"])
    model.eval()
    return model, s


def em(w, cfgd, items, pad_id, zero=False, bs=128):
    hits = []
    with torch.no_grad():
        for i in range(0, len(items), bs):
            chunk = items[i:i + bs]
            seqs = [p + a for p, a in chunk]
            L = max(len(s) for s in seqs)
            tokens = torch.full((len(seqs), L), pad_id, dtype=torch.long)
            for j, s in enumerate(seqs):
                tokens[j, :len(s)] = torch.tensor(s)
            logits, _ = reference.forward(w, cfgd, tokens, zero_memory=zero)
            pred = logits.argmax(-1)
            for j, (p, a) in enumerate(chunk):
                hits.append(all(int(pred[j, len(p) - 1 + t]) == a[t] for t in range(len(a))))
    return hits


def golden_batch(w, cfgd, data: PretrainData, pad_id):
    """Four rows: two eval-only questions with their answers, a training statement, a held-out text window."""
    ev = data.evals
    seqs = [ev[0]["q_eval"]["prompt"] + ev[0]["q_eval"]["answer"],
            ev[len(ev) // 2]["q_eval"]["prompt"] + ev[len(ev) // 2]["q_eval"]["answer"],
            data.rendering(len(data.fact_index) // 3)]
    dom = sorted(data.heldout)[0]
    seqs.append(data.heldout[dom][1000:1024].tolist())
    T = max(len(s) for s in seqs)
    tokens = torch.full((len(seqs), T), pad_id, dtype=torch.long)
    for i, s in enumerate(seqs):
        tokens[i, :len(s)] = torch.tensor(s)
    with torch.no_grad():
        logits, reads = reference.forward(w, cfgd, tokens)
    tgt = tokens[:, 1:]
    ok = tgt != pad_id
    ce = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), tgt.reshape(-1), reduction="none")
    loss = float((ce * ok.reshape(-1)).sum() / ok.sum())
    valid = (tokens != pad_id).reshape(-1)
    flat_pos = torch.nonzero(valid).reshape(-1)
    vocab_sample = list(range(0, cfgd["vocab_size"], 37))
    lg = logits.reshape(-1, logits.shape[-1])[flat_pos]
    out = {
        "description": "golden batch written by train/export.py from the exported fp16 weights (reference.py)",
        "tokens": tokens.tolist(),
        "pad_id": pad_id,
        "loss": loss,
        "positions": flat_pos.tolist(),
        "vocab_sample": vocab_sample,
        "logits_sample": [[round(float(v), 5) for v in row] for row in lg[:, vocab_sample]],
        "argmax": lg.argmax(-1).tolist(),
        "reads": [],
    }
    for layer_idx, (ids, wt) in zip(cfgd["memory_layers"], reads):
        ids = ids[flat_pos]
        wt = wt[flat_pos]
        out["reads"].append({
            "layer": layer_idx,
            "ids": ids.tolist(),
            "weights": [[[round(float(v), 6) for v in hk] for hk in tk] for tk in wt],
            "margin": selection_margins(w, cfgd, layer_idx, tokens, flat_pos),
        })
    return out


def selection_margins(w, cfgd, layer, tokens, flat_pos):
    """Per (token, head): the smallest gap between a selected and the best rejected score, over both stages (per
    half top-K and the top-K of the K*K sums). A float32 reimplementation may legitimately pick a different
    slot where this gap is below its rounding error; the golden test forgives exactly those."""
    B, T = tokens.shape
    D, nh, eps = cfgd["d_model"], cfgd["n_heads"], cfgd["norm_eps"]
    H, Kd, K = cfgd["mem_heads"], cfgd["key_dim"], cfgd["topk"]
    # recompute h at the memory layer
    x = w["tok_emb"][tokens] + w["pos_emb"][:T]
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    for i in range(layer + 1):
        p = f"blocks.{i}."
        hh = reference.rms(x, w[p + "ln1"], eps)
        qkv = (hh @ w[p + "attn.qkv"].t()).view(B, T, 3, nh, D // nh).permute(2, 0, 3, 1, 4)
        att = (qkv[0] @ qkv[1].transpose(-1, -2)) / (D // nh) ** 0.5
        att = att.masked_fill(~causal, float("-inf")).softmax(-1)
        x = x + ((att @ qkv[2]).transpose(1, 2).reshape(B, T, D)) @ w[p + "attn.proj"].t()
        if i == layer:
            break
        if i in cfgd["ffn_layers"]:
            hh = reference.rms(x, w[p + "ln2"], eps)
            x = x + (F.silu(hh @ w[p + "ffn.w1"].t()) * (hh @ w[p + "ffn.w3"].t())) @ w[p + "ffn.w2"].t()
        elif i in cfgd["memory_layers"]:
            raise NotImplementedError("margins for a second memory layer")
    p = f"blocks.{layer}."
    h = reference.rms(x, w[p + "ln2"], eps).reshape(B * T, D)[flat_pos]
    M = h.shape[0]
    q = (h @ w[p + "mem.query.weight"].t() + w[p + "mem.query.bias"]).view(M, H, 2, Kd // 2)
    keys = w[p + "mem.keys"]
    s1 = torch.einsum("mhd,hnd->mhn", q[:, :, 0], keys[:, 0]).sort(-1, descending=True).values
    s2 = torch.einsum("mhd,hnd->mhn", q[:, :, 1], keys[:, 1]).sort(-1, descending=True).values
    m1 = s1[..., K - 1] - s1[..., K]
    m2 = s2[..., K - 1] - s2[..., K]
    cand = (s1[..., :K].unsqueeze(-1) + s2[..., :K].unsqueeze(-2)).view(M, H, K * K).sort(-1, descending=True).values
    m3 = cand[..., K - 1] - cand[..., K]
    m = torch.minimum(torch.minimum(m1, m2), m3)
    return [[round(float(v), 7) for v in row] for row in m]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="build/train/run/ckpt.pt")
    ap.add_argument("--data", default="build/train/data")
    ap.add_argument("--df", default="build/train/background-df.npz")
    ap.add_argument("--out", default="public/model")
    ap.add_argument("--golden", default="train/golden/golden.json")
    ap.add_argument("--record", default="", help="JSON file with extra training-record fields (command, wall time)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, s = load_model(args.ckpt)
    cfg = model.cfg
    cfgd = cfg.to_dict()
    data = PretrainData.load(args.data)
    shipped_tok = os.path.join(args.out, "tokenizer.json")
    used_tok = os.path.join(args.data, "tokenizer.json")
    if os.path.exists(shipped_tok) and os.path.exists(used_tok):
        assert json.load(open(shipped_tok)) == json.load(open(used_tok)), \
            f"{shipped_tok} is not the tokenizer the model was trained with ({used_tok}); rerun npm run data / prepare-data"
    state = export_state(model)

    # 1. the exported computation equals the trained model (fp32)
    ev = data.evals[:64]
    seqs = [e["q_eval"]["prompt"] + e["q_eval"]["answer"] for e in ev]
    L = max(len(x) for x in seqs)
    tokens = torch.full((len(seqs), L), data.pad_id, dtype=torch.long)
    for j, x in enumerate(seqs):
        tokens[j, :len(x)] = torch.tensor(x)
    with torch.no_grad():
        a, _ = model(tokens)
        b, _ = reference.forward(state, cfgd, tokens)
    valid = tokens != data.pad_id
    diff = float((a - b)[valid].abs().max())
    print(f"reference.py vs Transformer.eval(): max |logit diff| {diff:.2e} over {int(valid.sum())} tokens")
    assert diff < 2e-3, "the exported computation does not reproduce the trained model"

    # 2. what fp16 storage costs
    half = {k: v.half().float() for k, v in state.items()}
    items = [(e["q_eval"]["prompt"], e["q_eval"]["answer"]) for e in data.evals[:800]]
    e32 = em(state, cfgd, items, data.pad_id)
    e16 = em(half, cfgd, items, data.pad_id)
    agree = sum(x == y for x, y in zip(e32, e16)) / len(items)
    print(f"fp32 vs fp16 EM on {len(items)} eval-only questions: {sum(e32)/len(items):.4f} vs {sum(e16)/len(items):.4f} "
          f"(per-item agreement {agree:.4f})")

    # 3. write the weights (+ df) and the config
    os.makedirs(args.out, exist_ok=True)
    tensors = {k: v.half().numpy() for k, v in state.items()}
    background = None
    if args.df and os.path.exists(args.df):
        z = np.load(args.df)
        df = z["df"]
        assert df.shape == (cfg.n_slots,) and df.max() < 65536
        tensors["background.df"] = df.astype(np.uint16)
        background = {"tensor": "background.df", "batches": int(z["batches"]), "batchTokens": int(z["batch_tokens"]),
                      "batchRows": int(z["batch_rows"]), "source": str(z["source"]),
                      "description": "df(i) = number of background batches of pretraining-mix text in which slot i was "
                                     "read at least once (any head, non-pad tokens); train/background_stats.py"}
    wpath = os.path.join(args.out, "engram.safetensors")
    safetensors_io.save(wpath, tensors, {"format": "engram-checkpoint/1"})
    log = s.get("log", [])
    record = {"steps": s["step"], "tokens_seen": s["tokens"], "train_wall_s": round(s["wall"]), "args": s.get("args"),
              "final": log[-1] if log else None, "em_curve": [{k: r[k] for k in ("step", "tokens", "em_q_eval", "em_q_train",
                                                                                "em_q_eval_zeroed") if k in r} for r in log],
              "fp16_em_check": {"fp32": round(sum(e32) / len(items), 4), "fp16": round(sum(e16) / len(items), 4), "n": len(items)}}
    if args.record and os.path.exists(args.record):
        record.update(json.load(open(args.record)))
    manifest = {
        "format": "engram-checkpoint/1",
        "model": cfgd,
        "files": {"weights": {"path": "engram.safetensors", "bytes": os.path.getsize(wpath), "sha256": sha256(wpath)}},
        "tokenizer": {"path": "tokenizer.json", "vocab_size": data.meta["vocab_size"]},
        "pretrained_facts": data.meta.get("facts_file"),
        "training": record,
    }
    if background:
        manifest["background"] = background
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"wrote {wpath} ({os.path.getsize(wpath) / 1e6:.1f} MB) and config.json")

    # 4. golden batch from the fp16-rounded weights (what the TypeScript model loads)
    os.makedirs(os.path.dirname(args.golden), exist_ok=True)
    g = golden_batch(half, cfgd, data, data.pad_id)
    g["weights_sha256"] = manifest["files"]["weights"]["sha256"]
    with open(args.golden, "w") as f:
        json.dump(g, f, separators=(",", ":"))
    print(f"wrote {args.golden} ({os.path.getsize(args.golden) / 1e3:.0f} kB), golden loss {g['loss']:.5f}")


if __name__ == "__main__":
    main()
