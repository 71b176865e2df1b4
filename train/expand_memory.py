"""Grow an exported checkpoint's memory by splitting every sub-key in two: n_keys -> 2 * n_keys, so N = n_keys^2
grows four times (65,536 -> 262,144 slots) without training from scratch.

Sub-key i of each half becomes sub-keys 2i and 2i + 1 (the second one nudged by a little noise so the two can
part), and slot (a, b) of the grown table starts with the value of slot (a // 2, b // 2) of the old one. Every
query then reads the same old rows as before through their copies (with top-k = K it reads K copies of about
K / 4 old slots, so the output moves a little); a continued-pretraining phase (`pretrain.py --init-from` with
`--n-keys` doubled) lets the copies drift apart and fills the room.

  /usr/bin/python3 train/expand_memory.py --from public/model/engram.safetensors --out build/grow/grown.safetensors
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402


def grow(tensors: dict, noise: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    values = np.asarray(tensors["mem_values"], dtype=np.float32)
    n_old = int(round(values.shape[0] ** 0.5))
    assert n_old * n_old == values.shape[0], "the value table is not n_keys^2 rows"
    for name, t in tensors.items():
        a = np.asarray(t, dtype=np.float32)
        if name == "mem_values":
            grid = a.reshape(n_old, n_old, -1)
            grid = np.repeat(np.repeat(grid, 2, axis=0), 2, axis=1)  # (a, b) <- (a // 2, b // 2)
            out[name] = grid.reshape(4 * n_old * n_old, -1)
        elif name.endswith("mem.keys"):  # [H, 2, n, Kd/2]
            assert a.shape[2] == n_old
            k = np.repeat(a, 2, axis=2)
            jitter = rng.standard_normal(k[:, :, 1::2].shape).astype(np.float32)
            k[:, :, 1::2] += noise * np.abs(a).mean() * jitter
            out[name] = k
        elif name == "background.df":
            continue  # measured again on the grown model (background_stats.py)
        else:
            out[name] = a
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--from", dest="src", default="public/model/engram.safetensors")
    ap.add_argument("--out", required=True)
    ap.add_argument("--noise", type=float, default=0.1, help="jitter of the second copy, in units of mean |key|")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    tensors, meta = safetensors_io.load(args.src)
    grown = grow(tensors, args.noise, args.seed)
    safetensors_io.save(args.out, grown, meta)
    v = grown["mem_values"]
    print(f"grew {args.src}: {tensors['mem_values'].shape[0]} -> {v.shape[0]} slots, wrote {args.out}")


if __name__ == "__main__":
    main()
