"""Background document frequency for TF-IDF slot ranking (docs/method.md §2 step 4).

df(i) = number of background batches in which memory slot i is read at least once (any head, any memory
layer, non-pad tokens). Batches are drawn from the pretraining mix (packed fact renderings and general text in
the training proportion, a seed the trainer never used).

The batch size decides whether df carries information: too large and every slot is read in every batch (idf
collapses to 0), too small and most slots have df = 0. We first measure, for several batch sizes, the distinct
slots read per batch and the df histogram over a pilot of batches, and pick the largest size at which the
median df/|B| over all slots stays <= --target-median (so a typical slot is read in a
minority of batches while hub slots sit at df = |B|) and at most --max-never of the slots have df = 0.
Then df over --batches batches at that size.

  /usr/bin/python3 train/background_stats.py --ckpt build/train/run/ckpt.pt --out build/train/background-df.npz
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from data import Mixer, PretrainData  # noqa: E402
from export import load_model  # noqa: E402


@torch.no_grad()
def batch_slots(model, mixer, rows):
    tokens, doc, pos = mixer.batch(rows)
    _, reads = model(tokens, doc, pos)
    seen = torch.zeros(model.cfg.n_slots, dtype=torch.bool)
    for ids, _w in reads:
        seen[ids.reshape(-1)] = True
    return seen, int((tokens != mixer.d.pad_id).sum())


def histogram(df, nb):
    N = df.size
    read = df[df > 0]
    return {"batches": nb, "never_read": round(float((df == 0).mean()), 4), "every_batch": round(float((df == nb).mean()), 4),
            "median_df_over_B_all": round(float(np.median(df) / nb), 4),
            "median_df_over_B_read": round(float(np.median(read) / nb), 4) if read.size else 0.0,
            "deciles_df_over_B": [round(float(v) / nb, 3) for v in np.quantile(df, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99])],
            "N": int(N)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="build/train/run/ckpt.pt")
    ap.add_argument("--data", default="build/train/data")
    ap.add_argument("--out", default="build/train/background-df.npz")
    ap.add_argument("--batches", type=int, default=1000)
    ap.add_argument("--pilot", type=int, default=40)
    ap.add_argument("--sizes", default="1,2,4,8,16,32")
    ap.add_argument("--target-median", type=float, default=0.25, help="largest median df/|B| over all slots")
    ap.add_argument("--max-never", type=float, default=0.25, help="largest share of slots with df = 0")
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, s = load_model(args.ckpt)
    data = PretrainData.load(args.data)
    frac = s["args"]["fact_frac"]
    ctx = model.cfg.context
    N = model.cfg.n_slots
    curve = []
    t0 = time.time()
    for rows in [int(x) for x in args.sizes.split(",")]:
        mixer = Mixer(data, ctx, frac, args.seed + rows)
        df = np.zeros(N, dtype=np.int64)
        distinct, toks = [], []
        for _ in range(args.pilot):
            seen, n = batch_slots(model, mixer, rows)
            df += seen.numpy()
            distinct.append(int(seen.sum()))
            toks.append(n)
        rec = {"rows": rows, "tokens_per_batch": round(float(np.mean(toks))), "distinct_per_batch": round(float(np.mean(distinct))),
               "distinct_frac": round(float(np.mean(distinct)) / N, 4), **histogram(df, args.pilot)}
        curve.append(rec)
        print(json.dumps(rec), flush=True)
    # the largest batch at which a typical slot is still read in at most a quarter of the batches (so idf >= ln 4
    # for it while hub slots sit at df = |B|, idf ~ 0), and at most a quarter of the slots are never read (so idf
    # is not mostly the constant ln(|B|+1) of unseen slots)
    ok = [c for c in curve if c["median_df_over_B_all"] <= args.target_median and c["never_read"] <= args.max_never]
    chosen = max(ok, key=lambda c: c["rows"]) if ok else min(curve, key=lambda c: abs(c["median_df_over_B_all"] - args.target_median))
    rows = chosen["rows"]
    print(f"chosen batch: {rows} rows of {ctx} tokens (pilot: {chosen})", flush=True)
    mixer = Mixer(data, ctx, frac, args.seed)
    df = np.zeros(N, dtype=np.int64)
    toks = 0
    for b in range(args.batches):
        seen, n = batch_slots(model, mixer, rows)
        df += seen.numpy()
        toks += n
    hist = histogram(df, args.batches)
    print(json.dumps({"final": hist, "tokens": toks, "seconds": round(time.time() - t0)}), flush=True)
    np.savez(args.out, df=df.astype(np.uint32), batches=args.batches, batch_rows=rows, batch_tokens=round(toks / args.batches),
             source="pretraining mix (facts + text), seed %d" % args.seed, curve=json.dumps(curve), hist=json.dumps(hist))


if __name__ == "__main__":
    main()
