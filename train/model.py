"""Decoder-only transformer with a product-key memory layer (PyTorch twin of src/model/).

Every operation here has a line-for-line counterpart in src/model/*.ts; keep them in sync. Choices made so
that tfjs can reproduce the forward pass closely:
  * RMSNorm (no mean subtraction), learned absolute positions, tied input/output embeddings, no biases except
    the memory query projection.
  * Query BatchNorm (Lample et al. 2019) over the non-pad tokens in training; at export it is folded into the
    query projection (eval mode is an affine map), so the TypeScript model only has a Linear.
  * The dense FFN (SwiGLU) can be dropped per layer (cfg.ffn_layers) so the memory must hold the facts
    (an early calibration run: with dense FFNs everywhere the memory stored nothing; README, "Model").

Shapes: B batch, T tokens, D model, H memory heads, K reads per head (top-k), N slots, Dv value width.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    vocab_size: int = 4096
    d_model: int = 256
    n_layers: int = 4
    n_heads: int = 4
    context: int = 128
    ffn_hidden: int = 512           # SwiGLU hidden width
    ffn_layers: List[int] = field(default_factory=lambda: [0, 1, 3])  # layers that keep a dense FFN
    memory_layers: List[int] = field(default_factory=lambda: [2])     # layers whose FFN slot is the memory
    n_keys: int = 256               # sqrt(N)
    mem_heads: int = 4              # H
    topk: int = 32                  # K
    key_dim: int = 128              # both halves together
    value_dim: int = 128            # Dv
    norm_eps: float = 1e-5
    bn_eps: float = 1e-5
    pad_id: int = 0

    @property
    def n_slots(self) -> int:
        return self.n_keys * self.n_keys

    def to_dict(self) -> dict:
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, d: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.h = cfg.n_heads
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=False)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model, bias=False)

    def forward(self, x, mask):  # x [B, T, D], mask [B, 1, T, T] bool (True = may attend)
        B, T, D = x.shape
        q, k, v = self.qkv(x).split(D, dim=-1)
        q = q.view(B, T, self.h, -1).transpose(1, 2)  # [B, h, T, hd]
        k = k.view(B, T, self.h, -1).transpose(1, 2)
        v = v.view(B, T, self.h, -1).transpose(1, 2)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]))  # [B, h, T, T]
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, D)
        return self.proj(y)


class SwiGLU(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.w1 = nn.Linear(cfg.d_model, cfg.ffn_hidden, bias=False)
        self.w3 = nn.Linear(cfg.d_model, cfg.ffn_hidden, bias=False)
        self.w2 = nn.Linear(cfg.ffn_hidden, cfg.d_model, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class ValueTable(nn.Module):
    """The N x Dv value table, shared by every memory head (and by every memory layer, Memory+ style).

    Its gradient is never dense: `read` gathers the distinct rows a batch reads into a small leaf tensor
    (U x Dv), and the trainer applies lazy Adam to exactly those rows (an early calibration run measured it 1.46x
    faster than EmbeddingBag(sparse=True) + SparseAdam, same maths)."""

    def __init__(self, n: int, dv: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n, dv) * dv ** -0.5, requires_grad=False)
        self.touched: list = []  # (unique ids, leaf rows) per read since the last optimiser step

    def read(self, idx, w):  # idx [M, H*K] long, w [M, H*K] float -> [M, Dv]
        if self.training and torch.is_grad_enabled():
            uniq, inv = torch.unique(idx, return_inverse=True)
            rows = self.weight.detach()[uniq].requires_grad_(True)  # [U, Dv]
            self.touched.append((uniq, rows))
            return F.embedding_bag(inv, rows, mode="sum", per_sample_weights=w)
        return F.embedding_bag(idx, self.weight, mode="sum", per_sample_weights=w)


class ProductKeyMemory(nn.Module):
    def __init__(self, cfg: ModelConfig, values: ValueTable):
        super().__init__()
        self.cfg = cfg
        H, Kd, n = cfg.mem_heads, cfg.key_dim, cfg.n_keys
        self.query = nn.Linear(cfg.d_model, H * Kd, bias=True)
        self.query_bn = nn.BatchNorm1d(H * Kd, eps=cfg.bn_eps)
        # sub-keys: [H, 2, n, Kd/2], uniform(+-1/sqrt(Kd)) as in the reference code
        bound = 1.0 / math.sqrt(Kd)
        self.keys = nn.Parameter(torch.empty(H, 2, n, Kd // 2).uniform_(-bound, bound))
        self.values = values  # shared, not registered twice (see Transformer.__init__)
        self.w1 = nn.Linear(cfg.d_model, cfg.value_dim, bias=False)  # swilu projection
        self.w2 = nn.Linear(cfg.value_dim, cfg.d_model, bias=False)  # value projection
        nn.init.xavier_uniform_(self.query.weight)
        nn.init.zeros_(self.query.bias)
        nn.init.normal_(self.w1.weight, std=cfg.d_model ** -0.5)
        nn.init.normal_(self.w2.weight, std=cfg.d_model ** -0.5)
        self.zero_values = False  # ablation switch: read zeros instead of V

    def lookup(self, x):  # x [M, D] -> ids [M, H, K] long, weights [M, H, K]
        cfg = self.cfg
        M = x.shape[0]
        H, K, n, half = cfg.mem_heads, cfg.topk, cfg.n_keys, cfg.key_dim // 2
        q = self.query_bn(self.query(x)).view(M, H, 2, half)  # [M, H, 2, Kd/2]
        s1 = torch.einsum("mhd,hnd->mhn", q[:, :, 0], self.keys[:, 0])  # [M, H, n]
        s2 = torch.einsum("mhd,hnd->mhn", q[:, :, 1], self.keys[:, 1])
        v1, i1 = s1.topk(K, dim=-1)  # [M, H, K]
        v2, i2 = s2.topk(K, dim=-1)
        cand = (v1.unsqueeze(-1) + v2.unsqueeze(-2)).view(M, H, K * K)  # [M, H, K*K]
        best, pos = cand.topk(K, dim=-1)  # [M, H, K]
        ids = torch.gather(i1, -1, pos // K) * n + torch.gather(i2, -1, pos % K)  # [M, H, K]
        return ids, best.softmax(-1)

    def forward(self, x):  # x [M, D] (non-pad tokens only)
        ids, w = self.lookup(x)
        M = x.shape[0]
        if self.zero_values:
            y = x.new_zeros(M, self.cfg.value_dim)
        else:
            y = self.values.read(ids.view(M, -1), w.view(M, -1))  # [M, Dv], heads summed
        out = self.w2(y * F.silu(self.w1(x)))
        return out, ids, w


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig, layer: int, values: Optional[ValueTable]):
        super().__init__()
        self.ln1 = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.kind = "memory" if layer in cfg.memory_layers else ("ffn" if layer in cfg.ffn_layers else "none")
        if self.kind != "none":
            self.ln2 = RMSNorm(cfg.d_model, cfg.norm_eps)
        if self.kind == "ffn":
            self.ffn = SwiGLU(cfg)
        elif self.kind == "memory":
            self.mem = ProductKeyMemory(cfg, values)

    def forward(self, x, mask, valid):
        x = x + self.attn(self.ln1(x), mask)
        reads = None
        if self.kind == "ffn":
            x = x + self.ffn(self.ln2(x))
        elif self.kind == "memory":
            h = self.ln2(x)[valid]  # [M, D] non-pad tokens only (BatchNorm statistics ignore pads)
            out, ids, w = self.mem(h)
            x = _add_at(x, valid, out)
            reads = (ids, w)
        return x, reads


def _add_at(x, valid, out):
    full = torch.zeros_like(x)
    full[valid] = out
    return x + full


class Transformer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos = nn.Embedding(cfg.context, cfg.d_model)
        nn.init.normal_(self.tok.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.values = ValueTable(cfg.n_slots, cfg.value_dim) if cfg.memory_layers else None
        self.blocks = nn.ModuleList([Block(cfg, i, self.values) for i in range(cfg.n_layers)])
        self.ln_f = RMSNorm(cfg.d_model, cfg.norm_eps)
        for name, p in self.named_parameters():
            if name.endswith("attn.proj.weight") or name.endswith("ffn.w2.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg.n_layers))
            elif p.dim() == 2 and ("attn" in name or "ffn" in name):
                nn.init.normal_(p, std=0.02)

    def set_zero_values(self, on: bool):
        for b in self.blocks:
            if b.kind == "memory":
                b.mem.zero_values = on

    def forward(self, tokens, doc=None, pos=None):
        """tokens [B, T] long (pad = cfg.pad_id, right-padded). doc [B, T]: document id per token (packed rows get a
        block-diagonal mask); pos [B, T]: position within its document. Returns logits [B, T, V] and, per memory
        layer, (ids [M, H, K], weights [M, H, K]) for the M non-pad tokens in row-major order."""
        B, T = tokens.shape
        valid = tokens != self.cfg.pad_id
        if pos is None:
            pos = torch.arange(T, device=tokens.device).expand(B, T)
        causal = torch.ones(T, T, dtype=torch.bool, device=tokens.device).tril()
        if doc is None:
            mask = causal.view(1, 1, T, T)
        else:
            mask = (causal & (doc.unsqueeze(2) == doc.unsqueeze(1))).unsqueeze(1)  # [B, 1, T, T]
        x = self.tok(tokens) + self.pos(pos)
        reads = []
        for b in self.blocks:
            x, r = b(x, mask, valid)
            if r is not None:
                reads.append(r)
        x = self.ln_f(x)
        logits = x @ self.tok.weight.t()  # tied
        return logits, reads


def export_state(model: Transformer) -> dict:
    """Weights as the TypeScript model reads them: BatchNorm folded into the query projection, fp32 tensors
    keyed by the names src/model/checkpoint.ts expects."""
    cfg = model.cfg
    out = {"tok_emb": model.tok.weight, "pos_emb": model.pos.weight, "ln_f": model.ln_f.weight}
    if model.values is not None:
        out["mem_values"] = model.values.weight
    for i, b in enumerate(model.blocks):
        p = f"blocks.{i}."
        out[p + "ln1"] = b.ln1.weight
        out[p + "attn.qkv"] = b.attn.qkv.weight  # [3D, D] (torch Linear layout: out x in)
        out[p + "attn.proj"] = b.attn.proj.weight
        if b.kind != "none":
            out[p + "ln2"] = b.ln2.weight
        if b.kind == "ffn":
            out[p + "ffn.w1"] = b.ffn.w1.weight
            out[p + "ffn.w3"] = b.ffn.w3.weight
            out[p + "ffn.w2"] = b.ffn.w2.weight
        elif b.kind == "memory":
            m = b.mem
            bn = m.query_bn
            s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            out[p + "mem.query.weight"] = m.query.weight * s[:, None]
            out[p + "mem.query.bias"] = (m.query.bias - bn.running_mean) * s + bn.bias
            out[p + "mem.keys"] = m.keys
            out[p + "mem.w1"] = m.w1.weight
            out[p + "mem.w2"] = m.w2.weight
    return {k: v.detach().float().contiguous() for k, v in out.items()}
