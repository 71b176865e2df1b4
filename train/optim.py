"""Optimisers: AdamW for the dense weights, lazy row-wise Adam for the memory values.

LazyRowAdam has SparseAdam semantics (per-row first/second moments, updated only for rows that were read; bias
correction by the global step) but takes the gradient of the distinct rows a batch read as a dense [U, Dv]
tensor, so no N x Dv gradient (dense or sparse-COO with duplicates) is ever built (docs/method.md §1.1)."""
from __future__ import annotations

import torch


class LazyRowAdam:
    def __init__(self, table: torch.Tensor, lr: float, betas=(0.9, 0.98), eps=1e-8):
        self.table = table  # [N, Dv], updated in place
        self.lr = lr
        self.b1, self.b2 = betas
        self.eps = eps
        self.m = torch.zeros_like(table)
        self.v = torch.zeros_like(table)
        self.t = 0

    @torch.no_grad()
    def step(self, touched, lr_scale: float = 1.0, clip: float = 1.0):
        """touched: list of (unique ids [U], leaf rows [U, Dv] with .grad). Rows read by several memory layers
        (shared pool) or several reads accumulate before the update."""
        if not touched:
            return 0.0
        if len(touched) == 1:
            ids, g = touched[0][0], touched[0][1].grad
        else:
            ids = torch.cat([u for u, _ in touched])
            g = torch.cat([r.grad for _, r in touched])
            ids, inv = torch.unique(ids, return_inverse=True)
            g = torch.zeros(ids.numel(), g.shape[1]).index_add_(0, inv, g)
        norm = float(g.norm())
        if clip and norm > clip:  # values clipped separately from the dense weights (Meta's lingua)
            g = g * (clip / norm)
        self.t += 1
        m = self.m[ids].mul_(self.b1).add_(g, alpha=1 - self.b1)
        v = self.v[ids].mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
        self.m[ids] = m
        self.v[ids] = v
        bc1 = 1 - self.b1 ** self.t
        bc2 = 1 - self.b2 ** self.t
        step = (m / bc1) / ((v / bc2).sqrt_() + self.eps)
        self.table[ids] -= (self.lr * lr_scale) * step
        return norm

    def state_dict(self):
        return {"m": self.m, "v": self.v, "t": self.t, "lr": self.lr}

    def load_state_dict(self, s):
        self.m.copy_(s["m"])
        self.v.copy_(s["v"])
        self.t = s["t"]


def build_dense_optimizer(model, lr: float, wd: float, betas=(0.9, 0.98)):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (decay if p.dim() == 2 and "emb" not in name and not name.startswith("tok") and not name.startswith("pos") else no_decay).append(p)
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=betas
    )
