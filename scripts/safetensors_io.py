"""Reads and writes safetensors files by hand (struct + json), so the scripts need no extra package.

Format: an 8-byte little-endian header length N, then N bytes of JSON
({name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}),
padded with spaces to a multiple of 8, then the raw little-endian tensor data.
Tensors are numpy arrays; dtypes F32, F64, I64 and I32 are supported.
"""
import json
import struct

import numpy as np

_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8"), "I32": np.dtype("<i4")}
_NAMES = {v: k for k, v in _DTYPES.items()}


def write(path, tensors, metadata=None):
    """Writes {name: numpy array} (dtype kept as is; must be one of F32/F64/I64/I32) to path."""
    header = {}
    blobs = []
    offset = 0
    for name, array in tensors.items():
        # asarray, not ascontiguousarray: that one returns at least 1-d, so a 0-d tensor was written with shape [1].
        # tobytes() writes C order whatever the array's memory layout.
        a = np.asarray(array)
        dtype = a.dtype.newbyteorder("<")
        if dtype not in _NAMES:
            raise ValueError(f"{name}: unsupported dtype {a.dtype}")
        data = a.astype(dtype, copy=False).tobytes()
        header[name] = {"dtype": _NAMES[dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def read(path):
    """Returns ({name: numpy array}, metadata dict) from a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack_from("<Q", raw, 0)
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        tensors[name] = np.frombuffer(raw[base + begin:base + end], dtype=dtype).reshape(info["shape"]).copy()
    return tensors, metadata
