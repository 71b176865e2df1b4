"""Inference from the exported tensors (BatchNorm folded, names as in public/model/engram.safetensors), written
as the TypeScript model computes it. Used to write the golden batch and to check that the export is faithful:
`export.py` asserts that this path and Transformer.eval() agree before anything is written."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def rms(x, g, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g


def forward(w: dict, cfg: dict, tokens: torch.Tensor, zero_memory: bool = False):
    """tokens [B, T] right-padded single documents. Returns logits [B, T, V] and per memory layer
    (ids [B*T, H, K], weights [B*T, H, K]) for every position (pads included, as in transformer.ts)."""
    B, T = tokens.shape
    D, nh = cfg["d_model"], cfg["n_heads"]
    eps = cfg["norm_eps"]
    x = w["tok_emb"][tokens] + w["pos_emb"][:T]
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    reads = []
    for i in range(cfg["n_layers"]):
        p = f"blocks.{i}."
        h = rms(x, w[p + "ln1"], eps)
        qkv = (h @ w[p + "attn.qkv"].t()).view(B, T, 3, nh, D // nh).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = (q @ k.transpose(-1, -2)) / math.sqrt(D // nh)
        att = att.masked_fill(~causal, float("-inf")).softmax(-1)
        x = x + ((att @ v).transpose(1, 2).reshape(B, T, D)) @ w[p + "attn.proj"].t()
        if i in cfg["ffn_layers"]:
            h = rms(x, w[p + "ln2"], eps)
            x = x + (F.silu(h @ w[p + "ffn.w1"].t()) * (h @ w[p + "ffn.w3"].t())) @ w[p + "ffn.w2"].t()
        elif i in cfg["memory_layers"]:
            h = rms(x, w[p + "ln2"], eps).reshape(B * T, D)
            ids, wt = lookup(h, w[p + "mem.query.weight"], w[p + "mem.query.bias"], w[p + "mem.keys"], cfg)
            M = B * T
            if zero_memory:
                y = torch.zeros(M, cfg["value_dim"])
            else:
                y = (w["mem_values"][ids.view(M, -1)] * wt.view(M, -1, 1)).sum(1)
            out = (y * F.silu(h @ w[p + "mem.w1"].t())) @ w[p + "mem.w2"].t()
            x = x + out.view(B, T, D)
            reads.append((ids, wt))
    x = rms(x, w["ln_f"], eps)
    return x @ w["tok_emb"].t(), reads


def lookup(h, qw, qb, keys, cfg):
    M = h.shape[0]
    H, Kd, K, n = cfg["mem_heads"], cfg["key_dim"], cfg["topk"], cfg["n_keys"]
    q = (h @ qw.t() + qb).view(M, H, 2, Kd // 2)
    s1 = torch.einsum("mhd,hnd->mhn", q[:, :, 0], keys[:, 0])
    s2 = torch.einsum("mhd,hnd->mhn", q[:, :, 1], keys[:, 1])
    v1, i1 = s1.topk(K, dim=-1)
    v2, i2 = s2.topk(K, dim=-1)
    cand = (v1.unsqueeze(-1) + v2.unsqueeze(-2)).view(M, H, K * K)
    best, pos = cand.topk(K, dim=-1)
    ids = torch.gather(i1, -1, pos // K) * n + torch.gather(i2, -1, pos % K)
    return ids, best.softmax(-1)
