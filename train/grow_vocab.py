"""Grow an exported checkpoint's vocabulary to a tokenizer that keeps every old token's id and adds tokens after
them (scripts/data/tokenizer-train.ts, withWholeNumbers: the numbers 0-999 as one token each). A new token's
embedding (tied with the output layer) starts from the embeddings of the old tokens its text was made of
(" 154" <- " 1", "5", "4"), weighted by position (each piece half the weight of the one before it), plus a little
seeded noise, so the model scores it like the digits it replaces from the first step; a continued-pretraining
phase (`pretrain.py --init-from` on data tokenized with the new tokenizer) then learns it. (A plain mean gave
" 154" and " 145" the same embedding, and with a tied output layer two equal rows tie in every argmax, so only one
of them could ever be answered: the first candidate, measured in README, was built that way.)

  /usr/bin/python3 train/grow_vocab.py --from public/model/engram.safetensors --old-tokenizer public/model/tokenizer.json \
    --new-tokenizer build/train/data7/tokenizer.json --out build/num/grown.safetensors
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402

SPACE = "\u0120"  # the byte-level symbol of " "


def old_pieces(text: str, old_vocab: dict) -> list[int]:
    """The old ids a new token's text splits into: its characters one by one, a leading space joined to the first
    digit where the old vocabulary has that token. Only digit tokens are expected."""
    rest = text
    ids = []
    if rest.startswith(SPACE):
        if rest[:2] in old_vocab:
            ids.append(old_vocab[rest[:2]])
            rest = rest[2:]
        else:
            ids.append(old_vocab[SPACE])
            rest = rest[1:]
    for ch in rest:
        if not ch.isdigit():
            raise SystemExit(f"new token {text!r} is not a number; grow_vocab.py only knows how to start number tokens")
        ids.append(old_vocab[ch])
    return ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--from", dest="src", default="public/model/engram.safetensors")
    ap.add_argument("--old-tokenizer", default="public/model/tokenizer.json")
    ap.add_argument("--new-tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--init", choices=["weighted", "mean"], default="weighted", help="mean: the first candidate's start (permutations tie)")
    ap.add_argument("--noise", type=float, default=0.05, help="seeded noise, in units of each dimension's spread over the old rows")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    old_vocab = json.load(open(args.old_tokenizer, encoding="utf-8"))["model"]["vocab"]
    new_vocab = json.load(open(args.new_tokenizer, encoding="utf-8"))["model"]["vocab"]
    for text, i in old_vocab.items():
        if new_vocab.get(text) != i:
            raise SystemExit(f"token {text!r} has id {i} in the old tokenizer and {new_vocab.get(text)} in the new one: ids must be kept")
    tensors, meta = safetensors_io.load(args.src)
    emb = np.asarray(tensors["tok_emb"], dtype=np.float32)
    if emb.shape[0] != len(old_vocab):
        raise SystemExit(f"tok_emb has {emb.shape[0]} rows, the old tokenizer {len(old_vocab)} tokens")
    grown = np.zeros((len(new_vocab), emb.shape[1]), dtype=np.float32)
    grown[: emb.shape[0]] = emb
    rng = np.random.default_rng(args.seed)
    spread = emb.std(axis=0)
    for text, i in sorted(new_vocab.items(), key=lambda item: item[1]):
        if i < emb.shape[0]:
            continue
        pieces = emb[old_pieces(text, old_vocab)]
        if args.init == "mean":
            grown[i] = pieces.mean(axis=0)
            continue
        w = 0.5 ** np.arange(len(pieces), dtype=np.float32)
        grown[i] = (w[:, None] * pieces).sum(axis=0) / w.sum() + args.noise * spread * rng.standard_normal(emb.shape[1]).astype(np.float32)
    out = {name: np.asarray(t, dtype=np.float32) for name, t in tensors.items() if name != "background.df"}
    out["tok_emb"] = grown
    safetensors_io.save(args.out, out, meta)
    print(f"grew {args.src}: {emb.shape[0]} -> {grown.shape[0]} tokens, wrote {args.out}")


if __name__ == "__main__":
    main()
