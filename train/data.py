"""The pretraining mix, as prepared by train/prepare-data.ts into build/train/data/ (token ids, no text).

Files:
  meta.json          vocab, special ids, fact list, rendering counts, text domains
  facts.bin          int32 token ids of every training rendering (4 statements + the training question per fact)
  facts-index.bin    int32 [R, 4]: start, length, fact index, template index
  text-train.bin     uint16 general-text stream, documents separated by <|endoftext|>
  heldout-<dom>.bin  uint16 held-out streams per domain
  eval.json          per fact: prompt/answer ids for the eval-only question and statement and the training question

Batches pack short documents into rows of `context` tokens; every document gets its own position ids (0..)
and a block-diagonal attention mask, so a packed row computes exactly what single padded rows would.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class PretrainData:
    meta: dict
    fact_tokens: np.ndarray
    fact_index: np.ndarray
    text: np.ndarray
    heldout: dict
    evals: list
    pad_id: int
    eot_id: int

    @staticmethod
    def load(folder: str) -> "PretrainData":
        meta = json.load(open(os.path.join(folder, "meta.json")))
        fact_tokens = np.fromfile(os.path.join(folder, "facts.bin"), dtype=np.int32)
        fact_index = np.fromfile(os.path.join(folder, "facts-index.bin"), dtype=np.int32).reshape(-1, 4)
        text = np.fromfile(os.path.join(folder, "text-train.bin"), dtype=np.uint16).astype(np.int64)
        heldout = {}
        for dom in meta["heldout_domains"]:
            heldout[dom] = np.fromfile(os.path.join(folder, f"heldout-{dom}.bin"), dtype=np.uint16).astype(np.int64)
        evals = json.load(open(os.path.join(folder, "eval.json")))
        return PretrainData(meta, fact_tokens, fact_index, text, heldout, evals, meta["pad_id"], meta["eot_id"])

    def rendering(self, r: int):
        s, n = self.fact_index[r, 0], self.fact_index[r, 1]
        return self.fact_tokens[s:s + n].tolist()


class Mixer:
    """Deterministic stream of training rows. Epoch e of the facts is a permutation seeded by (seed, e); text
    windows are drawn at seeded random offsets. State is (fact epoch, position in it, text rng state) so a run
    resumes exactly where it stopped."""

    def __init__(self, data: PretrainData, context: int, fact_frac: float, seed: int):
        self.d = data
        self.ctx = context
        self.fact_frac = fact_frac
        self.seed = seed
        self.epoch = 0
        self.pos = 0
        self.order = self._perm(0)
        self.text_rng = np.random.default_rng(seed + 7)
        self.row_rng = np.random.default_rng(seed + 11)

    def _perm(self, epoch):
        return np.random.default_rng(self.seed * 1000 + epoch).permutation(len(self.d.fact_index))

    def state(self):
        return {"epoch": self.epoch, "pos": self.pos, "text_rng": self.text_rng.bit_generator.state,
                "row_rng": self.row_rng.bit_generator.state}

    def load_state(self, s):
        self.epoch, self.pos = s["epoch"], s["pos"]
        self.order = self._perm(self.epoch)
        self.text_rng.bit_generator.state = s["text_rng"]
        self.row_rng.bit_generator.state = s["row_rng"]

    def fact_row(self):
        toks, doc, pos = [], [], []
        d = 0
        while True:
            if self.pos >= len(self.order):
                self.epoch += 1
                self.pos = 0
                self.order = self._perm(self.epoch)
            seq = self.d.rendering(int(self.order[self.pos])) + [self.d.eot_id]
            if len(toks) + len(seq) > self.ctx:
                if not toks:  # a rendering longer than the context: cut it (never happens with our templates)
                    seq = seq[: self.ctx]
                else:
                    break
            self.pos += 1
            toks += seq; doc += [d] * len(seq); pos += list(range(len(seq)))
            d += 1
        return toks, doc, pos

    def text_row(self):
        n = len(self.d.text)
        start = int(self.text_rng.integers(0, n - self.ctx - 1))
        return split_documents(self.d.text[start:start + self.ctx].tolist(), self.d.eot_id)

    def batch(self, rows: int):
        out = []
        for _ in range(rows):
            out.append(self.fact_row() if self.row_rng.random() < self.fact_frac else self.text_row())
        return to_batch(out, self.ctx, self.d.pad_id)


def split_documents(toks, eot_id):
    """Document ids and positions for a window of a text stream: split at <|endoftext|> (the EOT ends the
    previous document), so packed documents never attend to each other."""
    doc, pos, d, p = [], [], 0, 0
    for t in toks:
        doc.append(d); pos.append(p); p += 1
        if t == eot_id:
            d += 1; p = 0
    return toks, doc, pos


def window_rows(stream, ctx, eot_id, max_tokens):
    """Consecutive context-sized windows over the first max_tokens of a held-out stream, as training rows."""
    n = min(len(stream), max_tokens)
    return [split_documents(stream[s:s + ctx].tolist(), eot_id) for s in range(0, n - 1, ctx)]


def to_batch(rows, ctx, pad_id):
    B = len(rows)
    tokens = torch.full((B, ctx), pad_id, dtype=torch.long)
    doc = torch.full((B, ctx), -1, dtype=torch.long)
    pos = torch.zeros((B, ctx), dtype=torch.long)
    for i, (t, d, p) in enumerate(rows):
        n = len(t)
        tokens[i, :n] = torch.tensor(t)
        doc[i, :n] = torch.tensor(d)
        pos[i, :n] = torch.tensor(p)
    return tokens, doc, pos
