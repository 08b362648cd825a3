#!/usr/bin/env python3
"""Turns JMH JSON results (scripts/bench ... -rf json -rff FILE) into one Markdown table per benchmark class.

    scripts/bench GemmBench -rf json -rff /tmp/g.json && scripts/jmh_table.py /tmp/g.json

Each row names its implementation by the benchmark's parameters (impl, gemm, threads, workload, shape, cell, mode,
... whatever the run has), then gives JMH's score and its error (the half-width of JMH's 99.9 % confidence
interval; n/a with a single measurement iteration) in the benchmark's unit, and:
- GFLOP/s, where the FLOP count is known: GemmBench 2·m·n·k from its shape (SHAPES), LayerBench the GEMM work of
  its workload as src/main/java/dev/recur4j/RnnFlops.java counts it (WORKLOADS, layer_flops: 2·B·T·G·H·(In+H) per
  layer and direction, In the input size for layer 0 and D·H above it; training = 3 × forward). A shape or
  workload missing from the tables below gets no GFLOP/s, and a line on stderr says so.
- speed-up vs scalar, in a class whose rows include impl=scalar and another impl (CellStepBench, LayerBench): the
  scalar row's time / this row's time, every other parameter equal.
- B/op (gc.alloc.rate.norm), when the run had `-prof gc`.
SHAPES, WORKLOADS (compare_torch's) and GATES copy bench/.../GemmBench.java, bench/.../Workload.java and CellKind.java;
scripts/tests/test_jmh_table.py checks them against those sources, so they cannot drift apart unnoticed.
Python's standard library only.
"""
import argparse
import json
import math
import sys

import compare_torch

# GemmBench's shapes: C[m,n] = op(A)[m,k] · op(B)[k,n]; (m, n, k, A transposed, B transposed).
SHAPES = {
    "step_w2": (64, 2048, 768, False, True),
    "rec_w2": (64, 2048, 512, False, True),
    "in_w2": (6400, 2048, 256, False, True),
    "rec_w5": (128, 4096, 1024, False, True),
    "in_w5": (6400, 4096, 1024, False, True),
    "rec_w1": (1, 1024, 256, False, True),
    "rec_w3": (64, 1536, 512, False, True),
    "step_w4_l0": (32, 1024, 384, False, True),
    "step_w4_l1": (32, 1024, 768, False, True),
    "dw_w7": (1024, 768, 6400, True, False),
    "dx_w6": (6400, 256, 2048, False, False),
}

# LayerBench's workloads (bench/.../Workload.java): compare_torch's W1-W7, which that script runs side by side with
# the peers, and the bench's own W1B4 (W1 with 4 rows, the small-batch path with more than one row).
WORKLOADS = dict(compare_torch.WORKLOADS,
                 W1B4=dict(compare_torch.WORKLOADS["W1"], batch=4))

# Gate blocks G per cell (CellKind.gates()).
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}

# Column order: what runs, then who runs it; parameters not listed follow in alphabetical order.
PARAM_ORDER = ["workload", "shape", "cell", "mode", "hidden", "rows", "impl", "gemm", "weights", "threads"]

# Seconds per unit of time in JMH's score units (us/op, ops/ms, ...).
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "\u00b5s": 1e-6, "ns": 1e-9, "min": 60.0}

ALLOC_NORM = "gc.alloc.rate.norm"


def gemm_flops(shape):
    m, n, k, _, _ = SHAPES[shape]
    return 2.0 * m * n * k


def layer_flops(workload):
    """RnnFlops.forward, or RnnFlops.training (3 × forward) for a training workload: GEMM work only."""
    w = WORKLOADS[workload]
    g, h = GATES[w["cell"]], w["hidden"]
    directions = 2 if w["bidirectional"] else 1
    forward = 0.0
    for layer in range(w["layers"]):
        layer_input = w["input_size"] if layer == 0 else directions * h
        forward += 2.0 * w["batch"] * w["seq"] * g * h * (layer_input + h) * directions
    return 3 * forward if w["mode"] == "training" else forward


def gemm_label(shape):
    """'64×2048×512 A·Bᵀ', or ? for a shape not in SHAPES."""
    if shape not in SHAPES:
        return "?"
    m, n, k, ta, tb = SHAPES[shape]
    return f"{m}×{n}×{k} {'Aᵀ' if ta else 'A'}·{'Bᵀ' if tb else 'B'}"


# The FLOP count of a class's row: (parameter naming the size, its table, FLOPs of a name, what the notes say).
FLOPS = {
    "GemmBench": ("shape", SHAPES, gemm_flops, "GFLOP/s = 2·m·n·k per call / time"),
    "LayerBench": ("workload", WORKLOADS, layer_flops,
                   "GFLOP/s = RnnFlops's count (GEMM work: 2·B·T·G·H·(In+H) per layer and direction; "
                   "training = 3 × forward) / time"),
}


def number(value):
    """JMH writes NaN and infinities as strings ("NaN")."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def seconds_per_op(score, unit):
    """The time of one operation in seconds for a score in `unit` (us/op, ops/ms, ...), or None."""
    if not math.isfinite(score) or score <= 0:
        return None
    if unit.endswith("/op") and unit[:-3] in TIME_UNITS:
        return score * TIME_UNITS[unit[:-3]]
    if unit.startswith("ops/") and unit[4:] in TIME_UNITS:
        return TIME_UNITS[unit[4:]] / score
    return None


def secondary(result, name):
    """A secondary metric's score; JMH before 1.36 prefixes the profilers' metrics with a middle dot."""
    metrics = result.get("secondaryMetrics") or {}
    for key in (name, "\u00b7" + name):
        if key in metrics:
            return number(metrics[key].get("score"))
    return None


def split_benchmark(name):
    """'dev.recur4j.bench.GemmBench.sgemm' -> ('GemmBench', 'sgemm')."""
    parts = name.split(".")
    return (parts[-2], parts[-1]) if len(parts) >= 2 else (name, "")


def build_tables(results, warn=lambda message: print(message, file=sys.stderr)):
    """One table per benchmark class, in the order the classes first appear: a dict with the class, its
    parameter columns, its rows (dicts of params, score, error, unit, seconds, gflops, speedup, bytes_per_op and,
    for GemmBench, size) and which of the optional columns it has. `warn` gets one message per name without a
    FLOP count and per unknown unit."""
    classes = {}
    for r in results:
        cls, method = split_benchmark(r.get("benchmark", "?"))
        pm = r.get("primaryMetric") or {}
        unit = pm.get("scoreUnit", "")
        score = number(pm.get("score"))
        row = {"method": method, "jmh_mode": r.get("mode", ""), "params": dict(r.get("params") or {}),
               "score": score, "error": number(pm.get("scoreError")), "unit": unit,
               "seconds": seconds_per_op(score, unit), "gflops": None, "speedup": None,
               "bytes_per_op": secondary(r, ALLOC_NORM), "run": run_description(r)}
        classes.setdefault(cls, []).append(row)

    warned = set()  # units and names already reported
    for rows in classes.values():
        for row in rows:
            if row["seconds"] is None and row["score"] > 0 and row["unit"] not in warned:
                warned.add(row["unit"])
                warn(f"jmh_table: score unit {row['unit']!r} is not a time per operation or operations per time: "
                     "its rows have no GFLOP/s or speed-up")
    tables = []
    for cls, rows in classes.items():
        params = []
        for row in rows:
            params += [p for p in row["params"] if p not in params]
        params.sort(key=lambda p: (PARAM_ORDER.index(p) if p in PARAM_ORDER else len(PARAM_ORDER), p))
        # rows sorted by the columns, each column's values in the order the run first gave them (W1 before W2)
        seen = {p: [] for p in params}
        for row in rows:
            for p, v in row["params"].items():
                if v not in seen[p]:
                    seen[p].append(v)
        rows.sort(key=lambda row: tuple(seen[p].index(row["params"][p]) if p in row["params"] else -1
                                        for p in params))

        flops = FLOPS.get(cls)
        if flops:
            key, known, count, _ = flops
            for row in rows:
                name = row["params"].get(key)
                if name not in known:
                    if (cls, name) not in warned:
                        warned.add((cls, name))
                        warn(f"jmh_table: {cls} {key} {name!r} is not in jmh_table.py's "
                             f"{'SHAPES' if key == 'shape' else 'WORKLOADS'}: its rows have no GFLOP/s")
                elif row["seconds"] is not None:
                    row["gflops"] = count(name) / row["seconds"] / 1e9
            if cls == "GemmBench":
                for row in rows:
                    row["size"] = gemm_label(row["params"].get("shape"))

        impls = {row["params"].get("impl") for row in rows}
        has_speedup = "scalar" in impls and len(impls - {None}) > 1
        if has_speedup:
            scalar = {}
            for row in rows:
                if row["params"].get("impl") == "scalar":
                    scalar[pairing_key(row)] = row
            for row in rows:
                partner = scalar.get(pairing_key(row))
                if row["params"].get("impl") != "scalar" and partner and row["seconds"] and partner["seconds"]:
                    row["speedup"] = partner["seconds"] / row["seconds"]

        tables.append({"class": cls, "params": params, "rows": rows,
                       "methods": sorted({row["method"] for row in rows}),
                       "jmh_modes": sorted({row["jmh_mode"] for row in rows}),
                       "units": sorted({row["unit"] for row in rows}),
                       "size": any("size" in row for row in rows), "flops_note": flops[3] if flops else None,
                       "speedup": has_speedup,
                       "alloc": any(row["bytes_per_op"] is not None for row in rows),
                       "runs": list(dict.fromkeys(row["run"] for row in rows))})
    return tables


def pairing_key(row):
    """What a row is paired with its scalar row by: everything but impl."""
    others = tuple(sorted((p, v) for p, v in row["params"].items() if p != "impl"))
    return row["method"], row["jmh_mode"], others


def run_description(r):
    return (f"JMH {r.get('jmhVersion', '?')}, JDK {r.get('jdkVersion', '?')}; {r.get('forks', '?')} fork(s), "
            f"warm-up {r.get('warmupIterations', '?')} × {r.get('warmupTime', '?')}, "
            f"measurement {r.get('measurementIterations', '?')} × {r.get('measurementTime', '?')}, "
            f"{r.get('threads', '?')} JMH thread(s)")


def decimals(x):
    """Decimals for three significant digits (none at 100 and above)."""
    if not math.isfinite(x) or x == 0:
        return 0
    return max(0, 2 - math.floor(math.log10(abs(x))))


def fmt(x):
    """Three significant digits, thousands separated; n/a for NaN (JMH's error of a single iteration)."""
    if x is None:
        return ""
    if not math.isfinite(x):
        return "n/a"
    return f"{x:,.{decimals(x)}f}"


def render(table):
    """The Markdown lines of one table from build_tables."""
    rows = table["rows"]
    one_unit = len(table["units"]) == 1
    unit = f" ({table['units'][0]})" if one_unit else ""
    columns = list(table["params"])
    if len(table["methods"]) > 1:
        columns.insert(0, "benchmark")
    if len(table["jmh_modes"]) > 1:
        columns.insert(0, "JMH mode")
    if table["size"]:
        columns.append("m×n×k")
    columns += [f"score{unit}", "± (99.9 %)"]
    if table["flops_note"]:
        columns.append("GFLOP/s")
    if table["speedup"]:
        columns.append("speed-up vs scalar")
    if table["alloc"]:
        columns.append("B/op")

    lines = [f"### {table['class']}", ""]
    lines += [f"{run}" + ("" if i + 1 == len(table["runs"]) else ";") for i, run in enumerate(table["runs"])]
    lines += ["", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = []
        if len(table["jmh_modes"]) > 1:
            cells.append(row["jmh_mode"])
        if len(table["methods"]) > 1:
            cells.append(row["method"])
        cells += [row["params"].get(p, "") for p in table["params"]]
        if table["size"]:
            cells.append(row.get("size", ""))
        score = fmt(row["score"])
        cells += [score if one_unit else f"{score} {row['unit']}", fmt(row["error"])]
        if table["flops_note"]:
            cells.append(fmt(row["gflops"]))
        if table["speedup"]:
            if row["params"].get("impl") == "scalar":
                cells.append("baseline")
            else:
                cells.append("n/a" if row["speedup"] is None else f"{row['speedup']:.2f}x")
        if table["alloc"]:
            cells.append(fmt(row["bytes_per_op"]))
        lines.append("| " + " | ".join(cells) + " |")
    notes = []
    if table["flops_note"]:
        notes.append(table["flops_note"] + ".")
    if table["speedup"]:
        notes.append("Speed-up vs scalar: the scalar row's time / this row's time, the other parameters equal "
                     "(n/a: no such scalar row).")
    if table["alloc"]:
        notes.append("B/op: gc.alloc.rate.norm (-prof gc), bytes allocated per operation.")
    if notes:
        lines += [""] + notes
    return lines


def load(path):
    with (sys.stdin if path == "-" else open(path, encoding="utf-8")) as f:
        data = json.load(f)
    if not isinstance(data, list):
        raise ValueError("expected JMH's JSON result, a list of benchmark results (-rf json)")
    return data


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", metavar="FILE",
                    help="JMH JSON result file(s) (-rf json -rff FILE), - for stdin; their results are read together")
    args = ap.parse_args(argv)
    results = []
    for path in args.files:
        try:
            results += load(path)
        except (OSError, ValueError) as e:
            print(f"jmh_table: {path}: {e}", file=sys.stderr)
            return 2
    if not results:
        print("jmh_table: no benchmark results in " + ", ".join(args.files), file=sys.stderr)
        return 1
    out = []
    for table in build_tables(results):
        out += render(table) + [""]
    print("\n".join(out).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
