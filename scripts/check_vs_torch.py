#!/usr/bin/env python3
"""Cross-checks the recur4j command line against PyTorch (float64) on random configurations.

A developer tool that does what an external judge would: for N random configurations of every
cell (stacked, bidirectional, variable lengths, LSTM projections, with and without h0/c0 and
biases), it writes weights/input/grad safetensors, runs `recur4j forward` and `recur4j backward`
for each implementation, and compares every tensor with torch's float64 results.

    /usr/bin/python3 scripts/check_vs_torch.py [-n 5] [--seed 0] [--impl reference scalar simd]
        [--cells lstm gru ...] [--gemm java|openblas] [--recur4j "java -cp ... dev.recur4j.cli.Main"] [--keep DIR]

The command defaults to $RECUR4J or scripts/recur4j. Needs PyTorch (run with /usr/bin/python3).
Tolerance, per element: |got - want| <= s * (1e-4 * max(1, max|want|) + 1e-3 * |want|), with s = 1 for
outputs and 3 for gradients, and a tenth of that for --impl reference. Prints a summary table and
exits with 1 if anything differs or a run fails.
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from torch_rnn import CELLS, Case, random_tensors, run_torch  # noqa: E402

FORWARD_NAMES = ("output", "h_n", "c_n")


def random_case(cell, index, rng):
    """A random small configuration; sizes avoid nothing on purpose (1 and primes are both likely)."""
    batch = int(rng.integers(1, 6))
    seq_len = int(rng.integers(1, 8))
    hidden = int(rng.integers(1, 25))
    proj = int(rng.integers(1, hidden)) if cell == "lstm" and hidden > 1 and rng.random() < 0.4 else 0
    lengths = None
    if rng.random() < 0.5:
        lengths = [int(n) for n in rng.integers(1, seq_len + 1, size=batch)]
    with_h0 = bool(rng.random() < 0.5)
    return Case(
        name=f"{cell}_{index}", cell=cell, batch=batch, seq_len=seq_len,
        input_size=int(rng.integers(1, 21)), hidden_size=hidden,
        num_layers=int(rng.integers(1, 4)), bidirectional=bool(rng.random() < 0.5),
        bias=bool(rng.random() < 0.8), proj_size=proj, lengths=lengths,
        h0=with_h0, c0=with_h0 and cell == "lstm",
        grad_h_n=bool(rng.random() < 0.7), grad_c_n=bool(rng.random() < 0.7),
        seed=int(rng.integers(0, 2**31)))


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
    return " ".join(parts)


def compare(label, got, expected, names, scale):
    """Returns (worst diff/tol ratio, [failure messages]) over the expected tensors in names."""
    worst, failures = 0.0, []
    for name in names:
        if name not in expected:
            continue
        want = expected[name]
        if name not in got:
            failures.append(f"{label} {name}: missing from the output file")
            continue
        have = got[name].astype(np.float64)
        if have.size != want.size:
            failures.append(f"{label} {name}: shape {list(have.shape)}, expected {list(want.shape)}")
            continue
        have = have.reshape(want.shape)
        s = scale * (3.0 if name.startswith("grad.") else 1.0)
        tol = s * (1e-4 * max(1.0, float(np.abs(want).max(initial=0.0))) + 1e-3 * np.abs(want))
        diff = np.abs(have - want)
        ratio = np.where(np.isnan(diff), np.inf, diff / tol)
        worst = max(worst, float(ratio.max(initial=0.0)))
        bad = np.argwhere(ratio > 1.0)
        if len(bad):
            first = ", ".join(f"{tuple(int(i) for i in ix)}: got {have[tuple(ix)]:.7g} want {want[tuple(ix)]:.7g}"
                              for ix in bad[:3])
            failures.append(f"{label} {name}: {len(bad)}/{want.size} differ, max diff {np.nanmax(diff):.3g}; {first}")
    return worst, failures


def run_cli(command, args, timeout):
    """Runs the CLI; returns None on success, else the reason."""
    try:
        proc = subprocess.run(command + args, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout}s"
    if proc.returncode != 0:
        tail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-3:]
        return f"exit {proc.returncode}: " + " | ".join(tail)
    return None


def check_case(case, folder, command, impls, gemm, timeout, results):
    os.makedirs(folder, exist_ok=True)
    weights, inputs, grads = random_tensors(case)
    expected = run_torch(case, weights, inputs, grads)
    paths = {n: os.path.join(folder, n + ".safetensors") for n in ("weights", "input", "grad")}
    safetensors_io.write(paths["weights"], weights)
    safetensors_io.write(paths["input"], inputs)
    safetensors_io.write(paths["grad"], grads)
    common = ["--cell", case.cell, "--weights", paths["weights"], "--input", paths["input"]]
    if gemm:
        common += ["--gemm", gemm]
    for impl in impls:
        scale = 0.1 if impl == "reference" else 1.0
        row = results.setdefault((case.cell, impl), {"runs": 0, "failed": 0, "fwd": 0.0, "bwd": 0.0, "msgs": []})
        row["runs"] += 1
        messages = []
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
            names = FORWARD_NAMES if mode == "forward" else tuple(expected)
            worst, fails = compare(label, got, expected, names, scale)
            key = "fwd" if mode == "forward" else "bwd"
            row[key] = max(row[key], worst)
            messages += fails
        if messages:
            row["failed"] += 1
            row["msgs"] += messages
            for m in messages:
                print("FAIL " + m, flush=True)


def print_summary(results, kind="cell", bwd_title="worst bwd diff/tol"):
    """One row per (cell or variant, impl): cases, failures, worst diff/tolerance forward and backward."""
    width = max([len(kind)] + [len(k) for k, _ in results]) + 1
    print()
    print(f"{kind:{width}s} {'impl':10s} {'cases':>5s} {'failed':>6s} {'worst fwd diff/tol':>19s} {bwd_title:>20s}")
    for (name, impl), row in sorted(results.items()):
        print(f"{name:{width}s} {impl:10s} {row['runs']:5d} {row['failed']:6d} {row['fwd']:19.3g} {row['bwd']:20.3g}")


def add_common_args(parser, per):
    """The options both cross-check scripts take; per names what -n counts (cell, variant)."""
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("-n", type=int, default=5, help=f"random configurations per {per}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--impl", nargs="+", default=["reference", "scalar", "simd"])
    parser.add_argument("--gemm", help="passed to the CLI as --gemm (default: the CLI's choice)")
    parser.add_argument("--recur4j", default=os.environ.get("RECUR4J", os.path.join(here, "recur4j")),
                        help="the command to run (default: $RECUR4J or scripts/recur4j)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per CLI run")


def finish(results, kind, start):
    """Prints the failure count and exits 1 if any (case, impl) pair failed."""
    failed = sum(row["failed"] for row in results.values())
    print(f"\n{failed} failing ({kind}, impl) pairs; torch {torch.__version__}; {time.time() - start:.0f}s")
    sys.exit(1 if failed else 0)


def run_cases(args, kinds, tmp_prefix, name_width, random_case, describe, check):
    """
    Draws args.n random cases of each kind, prints each and checks it in a folder of its own (under
    --keep, else a temporary one) with check(kind, case, folder, command, results); returns results
    and the start time.
    """
    torch.set_num_threads(1)
    command = shlex.split(args.recur4j)
    rng = np.random.default_rng(args.seed)
    results = {}
    start = time.time()
    with tempfile.TemporaryDirectory(prefix=tmp_prefix) as tmp:
        root = args.keep or tmp
        os.makedirs(root, exist_ok=True)
        for kind in kinds:
            for i in range(args.n):
                case = random_case(kind, i, rng)
                print(f"{case.name:{name_width}s} {describe(case)}", flush=True)
                check(kind, case, os.path.join(root, case.name), command, results)
    return results, start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser, "cell")
    parser.add_argument("--cells", nargs="+", default=list(CELLS), choices=CELLS)
    parser.add_argument("--keep", help="write the cases here (kept) instead of a temporary folder")
    args = parser.parse_args()

    def check(cell, case, folder, command, results):
        check_case(case, folder, command, args.impl, args.gemm, args.timeout, results)

    results, start = run_cases(args, args.cells, "recur4j-check-", 12, random_case, describe, check)
    print_summary(results)
    finish(results, "case", start)


if __name__ == "__main__":
    main()
