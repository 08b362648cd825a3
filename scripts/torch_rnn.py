"""Builds a seeded PyTorch RNN/LSTM/GRU case and computes its float64 forward and backward results.

Shared by gen_fixtures.py (golden files for the Java tests) and check_vs_torch.py (the CLI cross-check).
Every random value (weights, input, h0/c0, output gradients) is drawn in float64 and rounded to
float32 before torch runs in float64, so the results are exactly what an fp32 input implies.

Shapes (batch_first=True, D = 2 if bidirectional, Hout = proj_size or hidden_size):
    input [B, T, I]   h0 [L*D, B, Hout]   c0 [L*D, B, H]   lengths [B]
    output [B, T, D*Hout]   h_n [L*D, B, Hout]   c_n [L*D, B, H]
The loss is L = sum(grad_output * output) + sum(grad_h_n * h_n) + sum(grad_c_n * c_n), so the
gradients torch returns are exactly the backward pass for those output gradients.
"""
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CELLS = ("rnn_tanh", "rnn_relu", "lstm", "gru")


@dataclass
class Case:
    name: str
    cell: str
    batch: int
    seq_len: int
    input_size: int
    hidden_size: int
    num_layers: int = 1
    bidirectional: bool = False
    bias: bool = True
    proj_size: int = 0
    lengths: Optional[List[int]] = None
    h0: bool = False
    c0: bool = False
    grad_h_n: bool = True
    grad_c_n: bool = True
    seed: int = 0
    notes: str = field(default="")

    @property
    def directions(self):
        return 2 if self.bidirectional else 1

    @property
    def output_size(self):
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    @property
    def has_cell_state(self):
        return self.cell == "lstm"

    def validate(self):
        if self.cell not in CELLS:
            raise ValueError(f"{self.name}: unknown cell {self.cell}")
        if self.proj_size and self.cell != "lstm":
            raise ValueError(f"{self.name}: proj_size needs lstm")
        if self.cell == "lstm" and self.h0 != self.c0:
            raise ValueError(f"{self.name}: torch takes h0 and c0 together for lstm")
        if self.lengths is not None:
            if len(self.lengths) != self.batch or not all(1 <= n <= self.seq_len for n in self.lengths):
                raise ValueError(f"{self.name}: lengths must be {self.batch} values in 1..{self.seq_len}")


def build_module(case):
    """The torch module, float64, with PyTorch's default initialisation (overwritten by load_weights)."""
    common = dict(input_size=case.input_size, hidden_size=case.hidden_size, num_layers=case.num_layers,
                  bias=case.bias, batch_first=True, bidirectional=case.bidirectional)
    if case.cell == "lstm":
        module = torch.nn.LSTM(proj_size=case.proj_size, **common)
    elif case.cell == "gru":
        module = torch.nn.GRU(**common)
    else:
        module = torch.nn.RNN(nonlinearity=case.cell[len("rnn_"):], **common)
    return module.double()


def _f32(a):
    """Rounds to float32 (the precision the files store) and back to float64 for torch."""
    return np.asarray(a, dtype=np.float64).astype(np.float32)


def random_tensors(case):
    """Returns (weights, inputs, grads): dicts of float32 arrays (lengths as int64), seeded by case.seed."""
    case.validate()
    rng = np.random.default_rng(case.seed)
    module = build_module(case)
    k = 1.0 / np.sqrt(case.hidden_size)  # PyTorch's default init range, U(-k, k)
    weights = {name: _f32(rng.uniform(-k, k, size=tuple(p.shape))) for name, p in module.state_dict().items()}

    slots = case.num_layers * case.directions
    inputs = {"input": _f32(rng.standard_normal((case.batch, case.seq_len, case.input_size)))}
    if case.h0:
        inputs["h0"] = _f32(rng.uniform(-1, 1, (slots, case.batch, case.output_size)))
    if case.c0:
        inputs["c0"] = _f32(rng.uniform(-1, 1, (slots, case.batch, case.hidden_size)))
    if case.lengths is not None:
        inputs["lengths"] = np.asarray(case.lengths, dtype=np.int64)

    grads = {"grad_output": _f32(rng.standard_normal((case.batch, case.seq_len,
                                                        case.directions * case.output_size)))}
    if case.grad_h_n:
        grads["grad_h_n"] = _f32(rng.standard_normal((slots, case.batch, case.output_size)))
    if case.has_cell_state and case.grad_c_n:
        grads["grad_c_n"] = _f32(rng.standard_normal((slots, case.batch, case.hidden_size)))
    return weights, inputs, grads


def run_torch(case, weights, inputs, grads):
    """Forward + backward in float64. Returns {name: float64 array}: output, h_n, (c_n), grad.input,
    grad.h0 / grad.c0 (when given), grad.<param> for every parameter."""
    module = build_module(case)
    module.load_state_dict({n: torch.from_numpy(a.astype(np.float64)) for n, a in weights.items()})
    x = _leaf(inputs["input"])
    h0 = _leaf(inputs["h0"]) if "h0" in inputs else None
    c0 = _leaf(inputs["c0"]) if "c0" in inputs else None
    hx = (h0, c0) if case.has_cell_state and h0 is not None else h0

    if "lengths" in inputs:
        packed = pack_padded_sequence(x, torch.from_numpy(inputs["lengths"]), batch_first=True, enforce_sorted=False)
        packed_out, state = module(packed, hx)
        output, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=case.seq_len)
    else:
        output, state = module(x, hx)
    h_n, c_n = state if case.has_cell_state else (state, None)

    loss = (output * _f64(grads["grad_output"])).sum()
    if "grad_h_n" in grads:
        loss = loss + (h_n * _f64(grads["grad_h_n"])).sum()
    if "grad_c_n" in grads:
        loss = loss + (c_n * _f64(grads["grad_c_n"])).sum()
    loss.backward()

    result = {"output": output, "h_n": h_n}
    if c_n is not None:
        result["c_n"] = c_n
    result["grad.input"] = x.grad
    if h0 is not None:
        result["grad.h0"] = h0.grad
    if c0 is not None:
        result["grad.c0"] = c0.grad
    for name, p in module.named_parameters():
        result["grad." + name] = p.grad
    result = {n: v.detach().numpy().astype(np.float64) for n, v in result.items()}
    _check_padding(case, inputs, result)
    return result


def _f64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def _leaf(a):
    """A float64 tensor whose gradient backward() fills."""
    return _f64(a).requires_grad_(True)


def _check_padding(case, inputs, result):
    """Packed-sequence semantics: outputs and input gradients at padded steps are exactly zero."""
    if "lengths" not in inputs:
        return
    for b, n in enumerate(inputs["lengths"]):
        if np.any(result["output"][b, n:]) or np.any(result["grad.input"][b, n:]):
            raise AssertionError(f"{case.name}: torch left non-zero values at padded steps of sequence {b}")
