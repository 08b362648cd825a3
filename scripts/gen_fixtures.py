#!/usr/bin/env python3
"""Writes the PyTorch golden fixtures read by src/test/java/dev/recur4j/GoldenFixtureTest.java.

Needs PyTorch (Debian's python3-torch: run with /usr/bin/python3); the tests themselves do not.

    /usr/bin/python3 scripts/gen_fixtures.py [--out src/test/resources/golden] [--only CASE ...]

For each case, src/test/resources/golden/<case>/ holds, in the CLI's formats:
    weights.safetensors   PyTorch state_dict names (weight_ih_l0, ..., *_reverse, weight_hr_l0), F32
    input.safetensors     input F32 [B,T,I]; optional h0, c0 F32; optional lengths I64 [B]
    grad.safetensors      grad_output F32; optional grad_h_n, grad_c_n F32
    expected.safetensors  output, h_n, (c_n), grad.input, grad.h0/grad.c0 (if given), grad.<param>: F64,
                          __metadata__ {magic: recur4j-golden, version: 1, cell, torch, case}
Every stored F32 value is exactly the value torch ran with (in float64), so the files reproduce.
"""
import argparse
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from torch_rnn import Case, random_tensors, run_torch  # noqa: E402

MAGIC = "recur4j-golden"
VERSION = "1"

# Sizes are small primes and odd numbers, never multiples of 16, so vector tails are exercised.
CASES = [
    Case("rnn_tanh_h0", "rnn_tanh", batch=3, seq_len=5, input_size=7, hidden_size=11, h0=True, seed=1),
    Case("rnn_tanh_bi3_noh0", "rnn_tanh", batch=2, seq_len=4, input_size=5, hidden_size=6, num_layers=3,
         bidirectional=True, grad_h_n=False, seed=2),
    Case("rnn_tanh_b1_t1_2layer", "rnn_tanh", batch=1, seq_len=1, input_size=2, hidden_size=3, num_layers=2,
         h0=True, seed=3),
    Case("rnn_relu_bi2_packed", "rnn_relu", batch=4, seq_len=6, input_size=5, hidden_size=9, num_layers=2,
         bidirectional=True, lengths=[6, 1, 4, 3], h0=True, seed=4),
    Case("rnn_relu_nobias_b1", "rnn_relu", batch=1, seq_len=7, input_size=3, hidden_size=19, bias=False,
         h0=True, seed=5),
    Case("lstm_h0", "lstm", batch=2, seq_len=4, input_size=6, hidden_size=10, h0=True, c0=True, seed=6),
    Case("lstm_proj_bi2_packed", "lstm", batch=3, seq_len=5, input_size=7, hidden_size=12, proj_size=5,
         num_layers=2, bidirectional=True, lengths=[5, 2, 1], h0=True, c0=True, seed=7),
    Case("lstm_nobias_3layer_noh0", "lstm", batch=2, seq_len=3, input_size=5, hidden_size=17, num_layers=3,
         bias=False, seed=8),
    Case("lstm_proj_packed_noh0", "lstm", batch=3, seq_len=4, input_size=4, hidden_size=9, proj_size=3,
         lengths=[2, 4, 1], grad_c_n=False, seed=9),
    Case("lstm_bi_b1_t1", "lstm", batch=1, seq_len=1, input_size=5, hidden_size=7, bidirectional=True,
         h0=True, c0=True, seed=10),
    Case("gru_h0", "gru", batch=3, seq_len=5, input_size=9, hidden_size=13, h0=True, seed=11),
    Case("gru_bi3_packed_nobias", "gru", batch=3, seq_len=5, input_size=6, hidden_size=8, num_layers=3,
         bidirectional=True, bias=False, lengths=[3, 5, 1], h0=True, seed=12),
    Case("gru_t1_noh0", "gru", batch=2, seq_len=1, input_size=4, hidden_size=5, seed=13),
    Case("gru_bi_packed_h33", "gru", batch=2, seq_len=3, input_size=10, hidden_size=33,
         bidirectional=True, lengths=[3, 2], seed=14),
]


def check_conditioning(case, weights, inputs, grads, expected, repeats=3):
    """Fails if a relative 1e-6 nudge of the weights and input (ten fp32 roundings) moves any result by more
    than a tenth of the fp32 test tolerance: such a case (e.g. a ReLU pre-activation sitting on the kink)
    would test luck, not the implementation."""
    rng = np.random.default_rng(case.seed + 1000)

    def nudge(tensors):
        return {n: a if a.dtype == np.int64 else a.astype(np.float64) * (1 + 1e-6 * rng.standard_normal(a.shape))
                for n, a in tensors.items()}

    for _ in range(repeats):
        nudged = run_torch(case, nudge(weights), nudge(inputs), grads)
        for name, want in expected.items():
            tol = 1e-4 * max(1.0, np.abs(want).max()) + 1e-3 * np.abs(want)
            worst = (np.abs(nudged[name] - want) / tol).max()
            if worst > 0.1:
                raise AssertionError(f"{case.name}: {name} is ill-conditioned ({worst:.3g} x tol after a 1e-6 nudge);"
                                     " change the seed")


def write_case(case, root):
    weights, inputs, grads = random_tensors(case)
    expected = run_torch(case, weights, inputs, grads)
    check_conditioning(case, weights, inputs, grads, expected)
    folder = os.path.join(root, case.name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    safetensors_io.write(os.path.join(folder, "weights.safetensors"), weights)
    safetensors_io.write(os.path.join(folder, "input.safetensors"), inputs)
    safetensors_io.write(os.path.join(folder, "grad.safetensors"), grads)
    metadata = {"magic": MAGIC, "version": VERSION, "cell": case.cell, "torch": torch.__version__, "case": case.name}
    safetensors_io.write(os.path.join(folder, "expected.safetensors"), expected, metadata)
    return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "src", "test", "resources", "golden"))
    parser.add_argument("--only", nargs="*", help="case names to regenerate (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    total = 0
    for case in CASES:
        if args.only and case.name not in args.only:
            continue
        size = write_case(case, args.out)
        total += size
        print(f"{case.name:28s} {size:8d} bytes")
    print(f"{'total':28s} {total:8d} bytes -> {os.path.normpath(args.out)}")


if __name__ == "__main__":
    main()
