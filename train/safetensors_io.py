"""Minimal safetensors writer/reader (the `safetensors` pip package is not installed here; the format is an
8-byte little-endian header length, a JSON header, then raw little-endian tensor bytes)."""
from __future__ import annotations

import json
import struct

import numpy as np

_DT = {np.float32: "F32", np.float16: "F16", np.int32: "I32", np.uint16: "U16", np.uint32: "U32"}
_NP = {v: k for k, v in _DT.items()}


def save(path: str, tensors: dict, metadata: dict | None = None) -> None:
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        dt = _DT[a.dtype.type]
        b = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)  # keep the data 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load(path: str) -> tuple[dict, dict]:
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        s, t = e["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + s:8 + n + t], dtype=_NP[e["dtype"]]).reshape(e["shape"])
    return out, meta
