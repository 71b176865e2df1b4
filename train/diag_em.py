"""Exact match per relation and template on a checkpoint (PyTorch, eval mode): the training question, the
eval-only question and the eval-only statement, with and without the memory values.

  /usr/bin/python3 train/diag_em.py --ckpt build/train/run/ckpt.pt [--facts 1000] [--zero]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from data import PretrainData  # noqa: E402
from export import load_model  # noqa: E402
from pretrain import answer_hits  # noqa: E402

CATEGORICAL = {"continent", "element_category", "nationality", "occupation"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="build/train/run/ckpt.pt")
    ap.add_argument("--data", default="build/train/data")
    ap.add_argument("--facts", type=int, default=0, help="every k-th fact so that about this many are used (0 = all)")
    ap.add_argument("--zero", action="store_true", help="also with the memory values zeroed")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, s = load_model(args.ckpt)
    data = PretrainData.load(args.data)
    ev = data.evals
    if args.facts:
        ev = ev[:: max(1, len(ev) // args.facts)]
    out = {"step": s["step"], "tokens": s["tokens"], "facts": len(ev)}
    for key in ("q_train", "q_eval", "s_eval"):
        for zero in ([False, True] if args.zero else [False]):
            hits = answer_hits(model, [(e[key]["prompt"], e[key]["answer"]) for e in ev], data.pad_id, zero=zero)
            by = {}
            for e, h in zip(ev, hits):
                by.setdefault(e["relation"], []).append(h)
            ng = [h for e, h in zip(ev, hits) if e["relation"] not in CATEGORICAL]
            name = key + ("_zeroed" if zero else "")
            out[name] = {"all": round(sum(hits) / len(hits), 4), "non_guessable": round(sum(ng) / max(1, len(ng)), 4),
                         "by_relation": {r: round(sum(v) / len(v), 3) for r, v in sorted(by.items())}}
            print(name, json.dumps(out[name]), flush=True)
    if args.json:
        json.dump(out, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
