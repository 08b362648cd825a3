#!/usr/bin/env python3
"""Cross-checks the recur4j command line on the variants PyTorch lacks: peephole LSTMs and the reset-before GRU.

PyTorch has neither LSTM peepholes (recur4j's `weight_peephole_l{k}` [3H], order i, f, o; i and f see
c(t-1), o sees c(t)) nor the GRU with `--linear-before-reset false`
(n = tanh(W_in x + b_in + W_hn (r*h) + b_hn)). This script computes both with its own explicit per-step
implementation in torch float64 (the cell equations written out here; gradients by autograd;
packed-sequence semantics by masking), then runs `recur4j forward` and `recur4j backward` for each
implementation and compares every tensor, as check_vs_torch.py does for the plain cells.

Before trusting itself, each case checks this implementation against torch.nn.LSTM with peepholes = 0 and
against torch.nn.GRU in linear-before-reset mode (to 1e-9 relative), so only the variant-specific lines
(the peephole terms, the reset-before candidate) are not covered by PyTorch.

    /usr/bin/python3 scripts/check_variants.py [-n 5] [--seed 0] [--impl reference scalar simd]
        [--variants lstm_peephole gru_reset_before] [--gemm java|openblas] [--recur4j CMD] [--keep DIR]

Tolerance, per element, as check_vs_torch.py: |got - want| <= s * (1e-4 * max(1, max|want|) + 1e-3 * |want|),
s = 1 for outputs and 3 for gradients, a tenth of that for --impl reference. Prints a summary table and exits
with 1 if anything differs, a run fails or the self-check fails.
"""
import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from check_vs_torch import add_common_args, compare, finish, print_summary, run_cases, run_cli  # noqa: E402
from torch_rnn import Case, random_tensors, run_torch  # noqa: E402

VARIANTS = ("lstm_peephole", "gru_reset_before")
FORWARD_NAMES = ("output", "h_n", "c_n")
# Both sides of the self-check are float64 with the same rounding-free inputs; only summation order
# differs, which costs ~1e-15 relative per operation, far below this.
SELF_CHECK_RTOL = 1e-9


@dataclass
class VariantCase(Case):
    """A torch_rnn.Case plus the variant: LSTM peepholes, or the GRU's reset-before-linear candidate."""
    peepholes: bool = False
    linear_before_reset: bool = True


# The first cases of each variant cover every switch both ways, so that even -n 3 sees them all
# (projection applies to LSTM only); later cases draw every switch at random.
COVERAGE = (
    dict(layers=2, bidirectional=False, bias=True, proj=True, h0=True, lengths=True),
    dict(layers=3, bidirectional=True, bias=False, proj=False, h0=False, lengths=True),
    dict(layers=1, bidirectional=True, bias=True, proj=True, h0=True, lengths=False),
)


def random_case(variant, index, rng):
    """A random small configuration of the variant (sizes include 1 and primes; lengths include 1)."""
    fixed = COVERAGE[index] if index < len(COVERAGE) else {}

    def switch(key, p):
        draw = bool(rng.random() < p)
        return fixed.get(key, draw)

    cell = "lstm" if variant == "lstm_peephole" else "gru"
    batch = int(rng.integers(1, 6)) if not fixed else int(rng.integers(2, 6))
    seq_len = int(rng.integers(1, 8)) if not fixed else int(rng.integers(2, 8))
    hidden = int(rng.integers(1, 25)) if not fixed else int(rng.integers(2, 25))
    proj = int(rng.integers(1, hidden)) if cell == "lstm" and hidden > 1 and switch("proj", 0.5) else 0
    lengths = None
    if switch("lengths", 0.6):
        lengths = [int(n) for n in rng.integers(1, seq_len + 1, size=batch)]
        if seq_len > 1 and (fixed or rng.random() < 0.5):
            lengths[int(rng.integers(0, batch))] = 1  # a one-step sequence next to longer ones
    with_h0 = switch("h0", 0.5)
    layers = int(rng.integers(1, 4))
    return VariantCase(
        name=f"{variant}_{index}", cell=cell, batch=batch, seq_len=seq_len,
        input_size=int(rng.integers(1, 21)), hidden_size=hidden,
        num_layers=fixed.get("layers", layers), bidirectional=switch("bidirectional", 0.5),
        bias=switch("bias", 0.75), proj_size=proj, lengths=lengths,
        h0=with_h0, c0=with_h0 and cell == "lstm",
        grad_h_n=bool(rng.random() < 0.7), grad_c_n=bool(rng.random() < 0.7),
        seed=int(rng.integers(0, 2**31)),
        peepholes=cell == "lstm", linear_before_reset=cell != "gru")


def describe(case):
    parts = [f"B={case.batch} T={case.seq_len} I={case.input_size} H={case.hidden_size} L={case.num_layers}"]
    if case.proj_size:
        parts.append(f"P={case.proj_size}")
    if case.bidirectional:
        parts.append("bi")
    if not case.bias:
        parts.append("nobias")
    if case.lengths is not None:
        parts.append("len=" + ",".join(map(str, case.lengths)))
    if case.h0:
        parts.append("h0")
    if case.peepholes:
        parts.append("peep")
    if case.cell == "gru" and not case.linear_before_reset:
        parts.append("reset-before")
    return " ".join(parts)


def suffixes(case):
    return ["", "_reverse"] if case.bidirectional else [""]


def peephole_tensors(case, rng):
    """weight_peephole_l{k}[_reverse] [3H] (i, f, o), U(-1, 1) rounded to float32: large enough to matter."""
    return {f"weight_peephole_l{layer}{sfx}": rng.uniform(-1, 1, 3 * case.hidden_size).astype(np.float32)
            for layer in range(case.num_layers) for sfx in suffixes(case)}


# ---------------------------------------------------------------------------------------------------------
# The independent implementation: one explicit step at a time, float64, autograd for the gradients.
# ---------------------------------------------------------------------------------------------------------

def lstm_step(x, h, c, p):
    """One LSTM step. x [B,In], h [B,Hout], c [B,H]; p: this (layer, direction)'s tensors.
    Returns (h' [B,Hout], c' [B,H])."""
    gx = x @ p["weight_ih"].T
    gh = h @ p["weight_hh"].T
    if "bias_ih" in p:
        gx = gx + p["bias_ih"]
        gh = gh + p["bias_hh"]
    xi, xf, xg, xo = gx.chunk(4, dim=1)
    hi, hf, hg, ho = gh.chunk(4, dim=1)
    if "weight_peephole" in p:
        pi, pf, po = p["weight_peephole"].chunk(3)
    else:
        pi = pf = po = None
    i_pre = xi + hi + (pi * c if pi is not None else 0)          # input gate sees c(t-1)
    f_pre = xf + hf + (pf * c if pf is not None else 0)          # forget gate sees c(t-1)
    i = torch.sigmoid(i_pre)
    f = torch.sigmoid(f_pre)
    g = torch.tanh(xg + hg)
    c_new = f * c + i * g
    o = torch.sigmoid(xo + ho + (po * c_new if po is not None else 0))  # output gate sees c(t)
    h_full = o * torch.tanh(c_new)
    h_new = h_full @ p["weight_hr"].T if "weight_hr" in p else h_full
    return h_new, c_new


def gru_step(x, h, p, linear_before_reset):
    """One GRU step. x [B,In], h [B,H]. Returns h' [B,H]."""
    gx = x @ p["weight_ih"].T
    if "bias_ih" in p:
        gx = gx + p["bias_ih"]
    xr, xz, xn = gx.chunk(3, dim=1)
    w_hr, w_hz, w_hn = p["weight_hh"].chunk(3, dim=0)
    if "bias_hh" in p:
        b_hr, b_hz, b_hn = p["bias_hh"].chunk(3)
    else:
        b_hr = b_hz = b_hn = torch.zeros(h.shape[1], dtype=h.dtype)
    r = torch.sigmoid(xr + h @ w_hr.T + b_hr)
    z = torch.sigmoid(xz + h @ w_hz.T + b_hz)
    if linear_before_reset:
        n = torch.tanh(xn + r * (h @ w_hn.T + b_hn))
    else:
        n = torch.tanh(xn + (r * h) @ w_hn.T + b_hn)
    return (1 - z) * n + z * h


def run_own(case, weights, inputs, grads, linear_before_reset):
    """Forward + backward of case with the step functions above. Returns {name: float64 array} with the
    same names as torch_rnn.run_torch (plus grad.weight_peephole_l* when the weights have peepholes)."""
    params = {n: torch.from_numpy(np.asarray(a, dtype=np.float64)).requires_grad_(True) for n, a in weights.items()}
    x = torch.from_numpy(inputs["input"].astype(np.float64)).requires_grad_(True)
    h0 = torch.from_numpy(inputs["h0"].astype(np.float64)).requires_grad_(True) if "h0" in inputs else None
    c0 = torch.from_numpy(inputs["c0"].astype(np.float64)).requires_grad_(True) if "c0" in inputs else None
    B, T = case.batch, case.seq_len
    H, Hout, D = case.hidden_size, case.output_size, case.directions
    lengths = inputs["lengths"] if "lengths" in inputs else np.full(B, T)
    is_lstm = case.cell == "lstm"

    layer_in = x
    h_n, c_n = [], []
    for layer in range(case.num_layers):
        outputs = []
        for d, sfx in enumerate(suffixes(case)):
            slot = layer * D + d
            p = {kind: params[f"{kind}_l{layer}{sfx}"]
                 for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr", "weight_peephole")
                 if f"{kind}_l{layer}{sfx}" in params}
            h = h0[slot] if h0 is not None else torch.zeros(B, Hout, dtype=torch.float64)
            c = c0[slot] if c0 is not None else torch.zeros(B, H, dtype=torch.float64)
            steps = [None] * T
            # Reverse runs t = T-1 .. 0; with the mask it effectively starts at len-1 from h0.
            for t in (range(T) if d == 0 else range(T - 1, -1, -1)):
                valid = torch.from_numpy(t < lengths).reshape(B, 1)  # [B,1]
                if is_lstm:
                    h_new, c_new = lstm_step(layer_in[:, t], h, c, p)
                    c = torch.where(valid, c_new, c)  # frozen past the last valid step
                else:
                    h_new = gru_step(layer_in[:, t], h, p, linear_before_reset)
                h = torch.where(valid, h_new, h)
                steps[t] = torch.where(valid, h_new, torch.zeros_like(h_new))  # padded outputs are zero
            outputs.append(torch.stack(steps, dim=1))  # [B,T,Hout]
            h_n.append(h)
            c_n.append(c)
        layer_in = torch.cat(outputs, dim=2)  # [B,T,D*Hout]: forward | reverse
    output = layer_in
    h_n = torch.stack(h_n)
    c_n = torch.stack(c_n) if is_lstm else None

    loss = (output * torch.from_numpy(grads["grad_output"].astype(np.float64))).sum()
    if "grad_h_n" in grads:
        loss = loss + (h_n * torch.from_numpy(grads["grad_h_n"].astype(np.float64))).sum()
    if is_lstm and "grad_c_n" in grads:
        loss = loss + (c_n * torch.from_numpy(grads["grad_c_n"].astype(np.float64))).sum()
    loss.backward()

    result = {"output": output, "h_n": h_n, "grad.input": x.grad}
    if c_n is not None:
        result["c_n"] = c_n
    if h0 is not None:
        result["grad.h0"] = h0.grad
    if c0 is not None:
        result["grad.c0"] = c0.grad
    for name, t in params.items():
        result["grad." + name] = t.grad if t.grad is not None else torch.zeros_like(t)
    return {n: v.detach().numpy().astype(np.float64) for n, v in result.items()}


def self_check(case, weights, inputs, grads):
    """Own implementation vs torch.nn on what torch has: peepholes = 0 (LSTM), linear-before-reset (GRU).
    Returns ([failure messages], torch's output without the variant)."""
    plain = {n: a for n, a in weights.items() if not n.startswith("weight_peephole")}
    want = run_torch(case, plain, inputs, grads)
    if case.cell == "lstm":
        zeroed = dict(plain, **{n: np.zeros_like(a) for n, a in weights.items() if n.startswith("weight_peephole")})
        got = run_own(case, zeroed, inputs, grads, linear_before_reset=True)
    else:
        got = run_own(case, plain, inputs, grads, linear_before_reset=True)
    failures = []
    for name, w in want.items():
        g = got.get(name)
        if g is None or g.shape != w.shape:
            failures.append(f"{case.name} self-check {name}: missing or shape {None if g is None else g.shape}")
            continue
        diff = float(np.abs(g - w).max(initial=0.0))
        if not diff <= SELF_CHECK_RTOL * max(1.0, float(np.abs(w).max(initial=0.0))):
            failures.append(f"{case.name} self-check {name}: own vs torch.nn max diff {diff:.3g}")
    return failures, want["output"]


def check_case(variant, case, folder, command, impls, gemm, timeout, results):
    os.makedirs(folder, exist_ok=True)
    weights, inputs, grads = random_tensors(case)
    if case.peepholes:
        weights.update(peephole_tensors(case, np.random.default_rng(case.seed + 1)))

    own_failures, plain_output = self_check(case, weights, inputs, grads)
    for m in own_failures:
        print("FAIL " + m, flush=True)
    expected = run_own(case, weights, inputs, grads, linear_before_reset=case.linear_before_reset)
    # How much the variant moves the output: the check only discriminates if this is well above the tolerance.
    effect = float(np.abs(expected["output"] - plain_output).max(initial=0.0))
    print(f"{'':20s} variant effect on output: max |with - without| = {effect:.3g}", flush=True)

    paths = {n: os.path.join(folder, n + ".safetensors") for n in ("weights", "input", "grad")}
    safetensors_io.write(paths["weights"], weights)
    safetensors_io.write(paths["input"], inputs)
    safetensors_io.write(paths["grad"], grads)
    safetensors_io.write(os.path.join(folder, "expected.safetensors"), expected)
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump(asdict(case), f, indent=1)

    common = ["--cell", case.cell, "--weights", paths["weights"], "--input", paths["input"]]
    if case.cell == "gru":
        common += ["--linear-before-reset", "true" if case.linear_before_reset else "false"]
    if gemm:
        common += ["--gemm", gemm]
    for impl in impls:
        scale = 0.1 if impl == "reference" else 1.0
        row = results.setdefault((variant, impl), {"runs": 0, "failed": 0, "fwd": 0.0, "bwd": 0.0, "msgs": []})
        row["runs"] += 1
        messages = list(own_failures)
        for mode in ("forward", "backward"):
            out = os.path.join(folder, f"{mode}_{impl}.safetensors")
            args = [mode] + common + ["--out", out, "--impl", impl]
            if mode == "backward":
                args += ["--grad-output", paths["grad"]]
            error = run_cli(command, args, timeout)
            label = f"{case.name} [{describe(case)}] {impl} {mode}"
            if error:
                messages.append(f"{label}: {error}")
                continue
            got, _ = safetensors_io.read(out)
            # backward's file repeats forward's tensors: checked too, but the bwd column reports grad.* only.
            worst, fails = compare(label, got, expected, FORWARD_NAMES, scale)
            if mode == "forward":
                row["fwd"] = max(row["fwd"], worst)
            else:
                grad_names = tuple(n for n in expected if n.startswith("grad."))
                worst, grad_fails = compare(label, got, expected, grad_names, scale)
                row["bwd"] = max(row["bwd"], worst)
                fails += grad_fails
            messages += fails
        if messages:
            row["failed"] += 1
            row["msgs"] += messages
            for m in messages[len(own_failures):]:
                print("FAIL " + m, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser, "variant")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--keep", help="write the cases here (kept; with case.json, expected.safetensors)")
    args = parser.parse_args()

    def check(variant, case, folder, command, results):
        check_case(variant, case, folder, command, args.impl, args.gemm, args.timeout, results)

    results, start = run_cases(args, args.variants, "recur4j-variants-", 20, random_case, describe, check)
    print_summary(results, "variant", "worst grad diff/tol")
    finish(results, "variant", start)


if __name__ == "__main__":
    main()
