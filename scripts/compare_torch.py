#!/usr/bin/env python3
"""Times recur4j against PyTorch, oneDNN and ONNX Runtime on the standard workloads W1-W7, side by side.

For every workload and thread count it runs `recur4j bench ... --json`, then the same layer in each
peer, each in its own process and never two at once:
- PyTorch (`torch`): fp32, batch_first=True, torch.set_num_threads(n), torch.no_grad() for inference;
  forward plus backward of the output for training.
- oneDNN (`onednn`): native/build/onednn_rnn, oneDNN's fp32 RNN primitives (lbr_gru for the GRU);
  forward_inference, or forward_training plus backward of the whole stack for training.
- ONNX Runtime (`ort`): scripts/ort-rnn (peers/onnxruntime), ONNX Runtime's CPU LSTM / GRU operators
  (opset 14, GRU with linear_before_reset=1) from its Java API; inference only, so training rows show n/a.
It prints a markdown table: recur4j median ms, GFLOP/s, % of the FMA peak, % of SGEMM, bytes allocated
per call, its check against its float64 reference (`bench --check`: the worst |diff| / tolerance over
batch rows 0, B/2-1, B/2 and B-1, below 1 agrees; DIFFERS fails the run), and for each peer its median
ms, GFLOP/s and the speed-up (peer ms / recur4j ms; above 1 means recur4j is faster).

    /usr/bin/python3 scripts/compare_torch.py [--workloads W1,W2] [--threads 1,2] [--seconds 3]
        [--warmup-seconds 2] [--peers torch,onednn,ort] [--impl simd] [--gemm openblas]
        [--recur4j "scripts/recur4j"] [--onednn native/build/onednn_rnn] [--ort scripts/ort-rnn]
        [--no-check] [--json-out FILE] [--rounds N]

Every side warms up (at least --warmup-seconds and 2 calls), then times each call (at least --seconds
and 10 calls) and reports the median. With --rounds N every row runs each side N times, the order
alternating between rounds (recur4j first, then last); a side's figure is then the median of its rounds'
medians, and the speed-up the median of the rounds' own ratios (peer / recur4j in the same round), with
their range: on a shared host whose speed drifts this pairs each peer with the recur4j run next to it.
Where a side fails in some round it is not run again, and the ratios pair only the rounds both sides
completed (the cell then says "k of N rounds"). A combined result keeps every round's own under
round_results; p90/p99 and warm-up counts, which do not combine, are only there.
Before each round the host's FMA peak is probed (native/build/fma_peak, about a second, when built): the
JSON keeps it per round (host_fma_gflops) and a line under the table gives its range against the limits
file's figures, which "% of peak" divides by.
The recur4j command defaults to $RECUR4J or scripts/recur4j.
PyTorch: run this with /usr/bin/python3 (Debian's python3-torch); when torch is missing it runs
`apt-get install -y python3-torch` as root, and otherwise says how to install it.
oneDNN: when native/build/onednn_rnn is missing it runs scripts/onednn-build, which installs Debian's
libdnnl-dev as root (otherwise says how to) and builds it.
ONNX Runtime: when its jar is missing it runs scripts/ort-build (Maven fetches ONNX Runtime's jar).
Run it on an otherwise idle machine: every side uses every thread it is given.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ONEDNN = os.path.join(os.path.dirname(HERE), "native", "build", "onednn_rnn")
DEFAULT_ORT = os.path.join(HERE, "ort-rnn")
FMA_PROBE = os.path.join(os.path.dirname(HERE), "native", "build", "fma_peak")  # built by scripts/native-build
ORT_JAR = os.path.join(os.path.dirname(HERE), "peers", "onnxruntime", "target", "recur4j-ort-peer-0.1.0-SNAPSHOT.jar")

# The workloads of the performance issue (fp32); the same as bench/.../Workload.java, which
# scripts/tests/test_jmh_table.py checks (jmh_table.py uses this table).
WORKLOADS = {
    "W1": dict(cell="lstm", layers=1, bidirectional=False, batch=1, seq=100, input_size=64, hidden=256,
               mode="inference"),
    "W2": dict(cell="lstm", layers=1, bidirectional=False, batch=64, seq=100, input_size=256, hidden=512,
               mode="inference"),
    "W3": dict(cell="gru", layers=1, bidirectional=False, batch=64, seq=100, input_size=256, hidden=512,
               mode="inference"),
    "W4": dict(cell="lstm", layers=2, bidirectional=True, batch=32, seq=50, input_size=128, hidden=256,
               mode="inference"),
    "W5": dict(cell="lstm", layers=1, bidirectional=False, batch=128, seq=50, input_size=1024, hidden=1024,
               mode="inference"),
    "W6": dict(cell="lstm", layers=1, bidirectional=False, batch=64, seq=100, input_size=256, hidden=512,
               mode="training"),
    "W7": dict(cell="gru", layers=1, bidirectional=False, batch=64, seq=100, input_size=256, hidden=512,
               mode="training"),
}


def describe(w):
    return (f"{w['cell']} B={w['batch']} T={w['seq']} I={w['input_size']} H={w['hidden']} L={w['layers']}"
            + (" bi" if w["bidirectional"] else "") + f", {w['mode']}")


# ---------------------------------------------------------------------------------------------
# PyTorch side: runs in a child process (--torch-worker), so its OpenMP threads are gone before
# the next recur4j run starts.

def torch_worker(spec):
    import torch

    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[spec["cell"]]
    model = cls(spec["input_size"], spec["hidden"], num_layers=spec["layers"], batch_first=True,
                bidirectional=spec["bidirectional"]).float()
    x = torch.rand(spec["batch"], spec["seq"], spec["input_size"]) * 2 - 1
    training = spec["mode"] == "training"
    if training:
        x.requires_grad_(True)
        directions = 2 if spec["bidirectional"] else 1
        grad_out = torch.rand(spec["batch"], spec["seq"], directions * spec["hidden"]) * 2 - 1

        def call():
            out, _ = model(x)
            out.backward(grad_out)

        def reset():  # recur4j overwrites its gradients; do not time PyTorch's accumulation either
            model.zero_grad(set_to_none=True)
            x.grad = None
    else:
        def call():
            with torch.no_grad():
                model(x)

        def reset():
            pass

    start, calls = time.perf_counter(), 0
    while calls < 2 or time.perf_counter() - start < spec["warmup_seconds"]:
        reset()
        call()
        calls += 1
    times = []
    start = time.perf_counter()
    while len(times) < 10 or time.perf_counter() - start < spec["seconds"]:
        reset()
        t0 = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - t0)
    return {"median_ms": statistics.median(times) / 1e6, "min_ms": min(times) / 1e6, "max_ms": max(times) / 1e6,
            "runs": len(times), "warmup_calls": calls, "threads": torch.get_num_threads(),
            "torch_version": torch.__version__}


def ensure_fast_blas():
    """Debian's torch calls the system libblas.so.3, which is netlib's reference BLAS unless OpenBLAS is
    installed: torch's RNNs then run ~15x slower (W2: ~5.7 s instead of ~0.35 s), an unfair peer."""
    if subprocess.run(["dpkg", "-s", "libopenblas0-pthread"], capture_output=True).returncode == 0:
        return
    if os.geteuid() == 0 and subprocess.run(["which", "apt-get"], capture_output=True).returncode == 0:
        print("compare_torch: installing libopenblas0-pthread so that PyTorch does not use the reference BLAS",
              file=sys.stderr)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "-qq", "libopenblas0-pthread"], env=env)
    else:
        print("compare_torch: WARNING: libopenblas0-pthread is not installed; PyTorch may use netlib's reference"
              " BLAS and look much slower than it is (sudo apt-get install libopenblas0-pthread)", file=sys.stderr)


def ensure_torch():
    """Imports torch in a child process; installs python3-torch with apt-get when root, else explains."""
    ensure_fast_blas()
    probe = [sys.executable, "-c", "import torch"]
    if subprocess.run(probe, capture_output=True).returncode == 0:
        return
    if os.geteuid() == 0 and subprocess.run(["which", "apt-get"], capture_output=True).returncode == 0:
        print("compare_torch: PyTorch is missing; installing python3-torch with apt-get", file=sys.stderr)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "python3-torch", "libopenblas0-pthread"], env=env)
        if subprocess.run(probe, capture_output=True).returncode == 0:
            return
    sys.exit(f"compare_torch: PyTorch is not importable by {sys.executable}. Install Debian's package "
             "(sudo apt-get install python3-torch) and run this script with /usr/bin/python3, "
             "or use a Python that has torch (pip install torch).")


def run_torch(w, threads, args):
    spec = dict(w, threads=threads, seconds=args.seconds, warmup_seconds=args.warmup_seconds)
    return run_json_command("pytorch", [sys.executable, os.path.abspath(__file__), "--torch-worker", json.dumps(spec)],
                            thread_env(threads))


# ---------------------------------------------------------------------------------------------
# oneDNN side: native/onednn_rnn.cpp, built by scripts/onednn-build

def ensure_onednn(args):
    """Builds the oneDNN benchmark when the command is the default one and is missing."""
    if os.path.exists(args.onednn) or args.onednn != DEFAULT_ONEDNN:
        return
    print("compare_torch: building the oneDNN benchmark with scripts/onednn-build", file=sys.stderr)
    if subprocess.run([os.path.join(HERE, "onednn-build")], stdout=sys.stderr).returncode != 0 \
            or not os.path.exists(args.onednn):
        sys.exit("compare_torch: could not build the oneDNN benchmark (see above); "
                 "leave oneDNN out with --peers torch")


def run_onednn(w, threads, args):
    return run_json_command("onednn_rnn", shlex.split(args.onednn) + workload_arguments(w, threads, args),
                            thread_env(threads))


# ---------------------------------------------------------------------------------------------
# ONNX Runtime side: peers/onnxruntime, run by scripts/ort-rnn and built by scripts/ort-build

def ort_built():
    """Whether the ONNX Runtime peer's jar and the class path file scripts/ort-rnn reads are both there."""
    return os.path.exists(ORT_JAR) and os.path.exists(os.path.join(os.path.dirname(ORT_JAR), "classpath.txt"))


def ensure_ort(args):
    """Builds the ONNX Runtime peer when the command is the default one and it is not built."""
    if ort_built() or args.ort != DEFAULT_ORT:
        return
    print("compare_torch: building the ONNX Runtime peer with scripts/ort-build", file=sys.stderr)
    if subprocess.run([os.path.join(HERE, "ort-build")], stdout=sys.stderr).returncode != 0 \
            or not ort_built():
        sys.exit("compare_torch: could not build the ONNX Runtime peer (see above); "
                 "leave it out with --peers torch,onednn")


def run_ort(w, threads, args):
    return run_json_command("ort_rnn", shlex.split(args.ort) + workload_arguments(w, threads, args))


# ---------------------------------------------------------------------------------------------
# recur4j side

def run_recur4j(w, threads, args):
    cmd = shlex.split(args.recur4j) + ["bench"] + workload_arguments(w, threads, args) + ["--json"]
    if args.impl:
        cmd += ["--impl", args.impl]
    if args.gemm:
        cmd += ["--gemm", args.gemm]
    if args.no_check:
        return run_json_command("recur4j", cmd)
    # after its timing, rows 0, B/2-1, B/2 and B-1 against its float64 reference; when they differ it still prints
    # its JSON, then exits 1: keep the row's figures, its check column says DIFFERS and main() counts it as failed
    return run_json_command("recur4j", cmd + ["--check"], accept=check_failed)


# ---------------------------------------------------------------------------------------------
# Shared by every side

def workload_arguments(w, threads, args):
    """The command-line options that `recur4j bench`, onednn_rnn and ort-rnn share."""
    cmd = ["--cell", w["cell"], "--batch", str(w["batch"]), "--seq", str(w["seq"]),
           "--input-size", str(w["input_size"]), "--hidden", str(w["hidden"]), "--layers", str(w["layers"]),
           "--mode", w["mode"], "--threads", str(threads), "--seconds", str(args.seconds),
           "--warmup-seconds", str(args.warmup_seconds)]
    if w["bidirectional"]:
        cmd.append("--bidirectional")
    return cmd


def thread_env(threads):
    """The environment of a peer's process: its OpenMP / MKL runtimes start with this many threads."""
    return dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))


def run_json_command(name, cmd, env=None, accept=None):
    """Runs one benchmark process that prints its result as a JSON object on its last stdout line.
    On failure raises its last stderr line that starts with `name:` (else its last stderr line), unless
    accept(the JSON it printed anyway) is true."""
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0 and accept is not None:
        try:
            out = json.loads(p.stdout.strip().splitlines()[-1])
            if accept(out):
                return out
        except (ValueError, IndexError, AttributeError):
            pass
    if p.returncode != 0:
        err = p.stderr.strip().splitlines()
        lines = [l for l in err if l.startswith(name + ":")] or [f"{name}: {l}" for l in err[-1:]]
        raise RuntimeError((lines or [f"{name}: exit {p.returncode}"])[-1])
    return json.loads(p.stdout.strip().splitlines()[-1])


# The peers recur4j is compared with: key (in --peers and the JSON rows), table name, runner, and whether it
# trains (a peer that does not is not run on training workloads; its cells show n/a).
PEERS = {"torch": ("PyTorch", run_torch, True), "onednn": ("oneDNN", run_onednn, True),
         "ort": ("ORT", run_ort, False)}


def runs(peer, w):
    return w["mode"] == "inference" or PEERS[peer][2]


# ---------------------------------------------------------------------------------------------

def fmt(v, spec, scale=1):
    return "-" if v is None else format(v * scale, spec)


def field(d, key):
    return None if d is None else d.get(key)


def check_failed(out):
    """Whether recur4j's JSON carries a --check that found its results differing from the reference's."""
    return (out.get("check") or {}).get("passed") is False


def check_cell(check):
    """recur4j's --check: the worst |diff| / tolerance against its float64 reference (below 1 agrees)."""
    if check is None:
        return "-"
    return format(check["worst_ratio"], ".2g") if check["passed"] else "DIFFERS"


def alloc_cell(j):
    """Bytes a call allocated: the least of the measured calls, and their mean when that is above 0 (a call that
    allocates now and then would otherwise hide behind a least of 0)."""
    least = field(j, "alloc_bytes_per_call")
    mean = field(j, "alloc_bytes_mean_per_call")
    if least is None:
        return "-"
    return f"{least:d}" if not mean else f"{least:d} (mean {mean:.0f})"


def table(rows, peers):
    head = "| workload | threads | recur4j ms | GFLOP/s | % of peak | % of SGEMM | alloc B/call | check |"
    for peer in peers:
        name = PEERS[peer][0]
        head += f" {name} ms | {name} GFLOP/s | speed-up vs {name} |"
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in rows:
        j = r.get("recur4j")
        cells = [r["workload"], str(r["threads"]),
                 fmt(field(j, "median_ms"), ".3f"), fmt(field(j, "gflops"), ".1f"),
                 fmt(field(j, "frac_peak"), ".1f", 100), fmt(field(j, "frac_sgemm"), ".1f", 100),
                 alloc_cell(j), check_cell(field(j, "check"))]
        for peer in peers:
            if not runs(peer, WORKLOADS[r["workload"]]):
                cells += ["n/a"] * 3
                continue
            t = r.get(peer)
            # A peer's GFLOP/s uses recur4j's FLOP count for the workload (onednn_rnn counts the same).
            peer_gflops = j["flops_per_call"] / (t["median_ms"] * 1e6) if j and t else None
            cells += [fmt(field(t, "median_ms"), ".3f"), fmt(peer_gflops, ".1f"), speedup_cell(r, peer, j, t)]
        lines.append("| " + " | ".join(cells) + " |")
        for side in ["recur4j"] + peers:
            if side + "_error" in r:
                lines.append(f"|   | {r['threads']} | {side} failed: {r[side + '_error']} |")
    return "\n".join(lines)


def host_fma_gflops():
    """The FMA peak the host gives right now (native/build/fma_peak, about a second): {"isa", "1t", "all"} in
    GFLOP/s, AVX-512's or, where the probe finds none (it reports 0 there), AVX2's; None when the probe is not
    built or fails. A shared host's speed drifts by tens of per cent (the Zen 5 of issue 3: 130-212 GFLOP/s on one
    core within an hour, 221.8 in quiet ones), so every round of a row records what it ran on."""
    if not os.path.exists(FMA_PROBE):
        return None
    try:
        p = subprocess.run([FMA_PROBE], capture_output=True, text=True, timeout=60)
        return fma_figures(json.loads(p.stdout.strip().splitlines()[0])) if p.returncode == 0 else None
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return None


def fma_figures(d):
    """{"isa", "1t", "all"} of one fma_peak probe object (what the probe prints, and what limits.json keeps):
    AVX-512's figures, or AVX2's where the probe found no AVX-512 (it reports 0 there); None if it has neither."""
    if not isinstance(d, dict):
        return None
    for isa in ("avx512", "avx2"):
        one, every = d.get(isa + "_gflops_1t"), d.get(isa + "_gflops_all")
        if isinstance(one, (int, float)) and isinstance(every, (int, float)) and one > 0 and every > 0:
            return {"isa": isa, "1t": one, "all": every}
    return None


def run_row(name, w, threads, peers, args):
    """One workload at one thread count: --rounds rounds, each running every side once, one process at a time
    so that none competes with another; the order alternates (recur4j first, then last, ...) so that a drift of
    the host's speed within the row weighs on both sides alike. Before each round the host's FMA peak is probed
    (row["host_fma_gflops"], one entry a round, None where the probe failed; absent when it is not built).
    Returns the row and whether anything failed."""
    row = {"workload": name, "threads": threads, "shape": describe(w)}
    sides = [("recur4j", run_recur4j)] + [(p, PEERS[p][1]) for p in peers if runs(p, w)]
    results = {side: [] for side, _ in sides}
    failed = False
    for r in range(args.rounds):
        host = host_fma_gflops()
        if os.path.exists(FMA_PROBE):
            row.setdefault("host_fma_gflops", []).append(host)
        print(f"compare_torch:   round {r + 1} of {args.rounds}"
              + (f"; host FMA peak now {host['1t']:.1f} / {host['all']:.1f} GFLOP/s ({host['isa']})" if host else ""),
              file=sys.stderr, flush=True)
        for side, fn in (sides if r % 2 == 0 else sides[::-1]):
            if side + "_error" in row:
                continue  # a side that failed once is not run again, so each side's results are its first rounds
            try:
                results[side].append(fn(w, threads, args))
                if side == "recur4j" and check_failed(results[side][-1]):
                    failed = True
            except (RuntimeError, ValueError, OSError) as e:
                row[side + "_error"] = str(e)
                failed = True
    for side, outs in results.items():
        if outs:
            row[side] = combine_rounds(outs)
    mine = results["recur4j"]
    if args.rounds > 1:
        row["rounds"] = args.rounds
        for side, outs in results.items():
            paired = min(len(mine), len(outs))
            if side != "recur4j" and paired:
                # the peer's time over recur4j's in the same round, over the rounds both completed: a slow round
                # of the host then weighs on both sides of its ratio
                row.setdefault("round_speedups", {})[side] = [o["median_ms"] / m["median_ms"]
                                                              for o, m in zip(outs[:paired], mine[:paired])]
    return row, failed


def combine_rounds(outs):
    """One side's runs of a row as one result: the median of the rounds' medians, min and max over all calls, the
    calls summed; every round's own result under "round_results", and the figures that do not combine (p90_ms,
    p99_ms, warm-up counts) only there. For recur4j the rates follow that median (the SGEMM figure is the
    median of the rounds' own, likewise the host's FMA peak bench measured after each), and the check and the
    allocation are the worst round's."""
    if len(outs) == 1:
        return outs[0]
    res = {k: v for k, v in outs[0].items() if k not in ("p90_ms", "p99_ms", "warmup_calls")}
    res["median_ms"] = statistics.median(o["median_ms"] for o in outs)
    res["min_ms"] = min(o["min_ms"] for o in outs)
    res["max_ms"] = max(o["max_ms"] for o in outs)
    res["round_medians_ms"] = [o["median_ms"] for o in outs]
    res["round_results"] = outs
    if "runs" in res:
        res["runs"] = sum(o.get("runs", 0) for o in outs)
    if "fma_peak_gflops" in res:  # recur4j's
        res["gflops"] = res["flops_per_call"] / (res["median_ms"] * 1e6)
        res["frac_peak"] = res["gflops"] / res["fma_peak_gflops"]
        res["sgemm_gflops"] = median_of(outs, "sgemm_gflops")
        res["frac_sgemm"] = res["gflops"] / res["sgemm_gflops"] if res["sgemm_gflops"] else float("nan")
        res["fma_now_gflops"] = median_of(outs, "fma_now_gflops")
        res["frac_peak_now"] = res["gflops"] / res["fma_now_gflops"] if res["fma_now_gflops"] else None
        if "recurrent_weight_bytes_per_call" in res:
            res["recurrent_read_gbs"] = res["recurrent_weight_bytes_per_call"] / (res["median_ms"] * 1e6)
            for level in ("l2", "l3", "dram"):
                gbs = res.get(level + "_read_gbs")
                res["frac_" + level + "_read"] = res["recurrent_read_gbs"] / gbs if gbs else None
        for key in ("alloc_bytes_per_call", "alloc_bytes_mean_per_call"):
            if key in res:
                res[key] = max(o[key] for o in outs)
        checks = [o.get("check") for o in outs if o.get("check")]
        if checks:
            res["check"] = next((c for c in checks if not c["passed"]), max(checks, key=lambda c: c["worst_ratio"]))
    return res


def median_of(outs, key):
    """The median of the rounds' figures under key, over the rounds that have one (null where a probe did not
    run); None if none has."""
    values = [o[key] for o in outs if isinstance(o.get(key), (int, float))]
    return statistics.median(values) if values else None


def speedup_cell(r, peer, j, t):
    """Peer ms / recur4j ms; over several rounds the median of the rounds' ratios with their range, and how many
    rounds that is when a side failed before the last."""
    paired = r.get("round_speedups", {}).get(peer)
    if paired:
        of = f", {len(paired)} of {r['rounds']} rounds" if len(paired) < r.get("rounds", len(paired)) else ""
        return f"{statistics.median(paired):.2f}x ({min(paired):.2f}-{max(paired):.2f}{of})"
    speedup = t["median_ms"] / j["median_ms"] if j and t else None
    return fmt(speedup, ".2f") + ("x" if speedup else "")


def host_summary(rows):
    """The line under the table: the range of the host's FMA peak over the rounds probed, one core and all, against
    the limits file's (what % of peak divides by); or why there is none."""
    probes = [h for r in rows for h in r.get("host_fma_gflops", [])]
    got = [h for h in probes if h]
    if not os.path.exists(FMA_PROBE):
        return f"host FMA peak not probed: {FMA_PROBE} is not built (scripts/native-build)"
    if not got:
        return f"host FMA peak not probed: {FMA_PROBE} failed before every round"
    one, every = [h["1t"] for h in got], [h["all"] for h in got]
    line = (f"host FMA peak before each round ({got[0]['isa']}, {len(got)} of {len(probes)} probes): one core"
            f" {min(one):.1f}-{max(one):.1f} GFLOP/s, all cores {min(every):.1f}-{max(every):.1f}")
    limits = limits_fma_gflops()
    if limits:
        line += f" (limits file, which % of peak divides by: {limits['1t']:.1f} / {limits['all']:.1f})"
    return line


def read_summary(rows):
    """The line under the host's: per row, the rate at which recur4j's call must at least read its recurrent weights
    (bench's recurrent_read_gbs at the combined median) and its fractions of the limits file's L2 and L3 read
    bandwidth, the memory side of the roofline that bounds W1 as the FMA peak bounds the large batches; or None when
    no row has it."""
    cells = []
    for r in rows:
        j = r.get("recur4j")
        if not j or j.get("recurrent_read_gbs") is None:
            continue
        fracs = " / ".join("-" if j.get(f"frac_{level}_read") is None else f"{100 * j[f'frac_{level}_read']:.0f}"
                           for level in ("l2", "l3"))
        cells.append(f"{r['workload']}/{r['threads']} {j['recurrent_read_gbs']:.1f} ({fracs})")
    if not cells:
        return None
    return ("recurrent weights read by recur4j at its median, GB/s (% of the limits file's L2 / L3 read bandwidth): "
            + ", ".join(cells))


def limits_fma_gflops():
    """The fma_peak figures native/build/limits.json keeps (scripts/native-build --run), or None."""
    path = os.path.join(os.path.dirname(FMA_PROBE), "limits.json")
    try:
        with open(path) as f:
            return next((fma_figures(d) for d in json.load(f) if isinstance(d, dict) and d.get("probe") == "fma_peak"),
                        None)
    except (OSError, ValueError, TypeError):
        return None


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--torch-worker":
        print(json.dumps(torch_worker(json.loads(sys.argv[2]))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated, e.g. W1,W2 (default: all)")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default: 1,2)")
    ap.add_argument("--seconds", type=float, default=3.0, help="measuring time per side and run (default: 3)")
    ap.add_argument("--warmup-seconds", type=float, default=2.0, help="warm-up per side and run (default: 2)")
    ap.add_argument("--peers", default=",".join(PEERS),
                    help=f"comma-separated peers to compare with (default: {','.join(PEERS)})")
    ap.add_argument("--impl", help="recur4j --impl (default: automatic)")
    ap.add_argument("--gemm", help="recur4j --gemm (default: automatic)")
    ap.add_argument("--recur4j", default=os.environ.get("RECUR4J", os.path.join(HERE, "recur4j")),
                    help="the recur4j command (default: $RECUR4J or scripts/recur4j)")
    ap.add_argument("--onednn", default=DEFAULT_ONEDNN,
                    help="the oneDNN benchmark command (default: native/build/onednn_rnn, built if missing)")
    ap.add_argument("--ort", default=DEFAULT_ORT,
                    help="the ONNX Runtime peer command (default: scripts/ort-rnn, built if missing)")
    ap.add_argument("--no-check", action="store_true",
                    help="skip recur4j's --check (its results against its float64 reference, a few seconds a row)")
    ap.add_argument("--json-out", help="also write every measurement to this JSON file")
    ap.add_argument("--rounds", type=int, default=1,
                    help="rounds per row, every side once a round, the order alternating; medians of the rounds' "
                         "medians, speed-ups paired by round (default: 1)")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error(f"--rounds: expected at least 1, found {args.rounds}")

    names = [n.strip().upper() for n in args.workloads.split(",") if n.strip()]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workload(s) {','.join(unknown)}: expected some of {','.join(WORKLOADS)}")
    try:
        thread_counts = [int(t) for t in args.threads.split(",") if t.strip()]
    except ValueError:
        ap.error(f"--threads: expected comma-separated integers, found {args.threads!r}")
    if not thread_counts or min(thread_counts) < 1:
        ap.error("--threads: every count must be >= 1")
    peers = [p.strip().lower() for p in args.peers.split(",") if p.strip()]
    unknown = [p for p in peers if p not in PEERS]
    if unknown or len(set(peers)) != len(peers):
        ap.error(f"--peers: expected distinct names among {','.join(PEERS)}, found {args.peers!r}")
    if "torch" in peers:
        ensure_torch()
    if "onednn" in peers:
        ensure_onednn(args)
    if "ort" in peers and any(runs("ort", WORKLOADS[n]) for n in names):
        ensure_ort(args)

    rows, failed = [], False
    for name in names:
        w = WORKLOADS[name]
        for threads in thread_counts:
            print(f"compare_torch: {name} ({describe(w)}), threads {threads}", file=sys.stderr, flush=True)
            row, row_failed = run_row(name, w, threads, peers, args)
            failed = failed or row_failed
            rows.append(row)

    first = next((r["recur4j"] for r in rows if "recur4j" in r), None)
    torch_info = next((r["torch"] for r in rows if "torch" in r), None)
    onednn_rows = [r for r in rows if "onednn" in r]
    ort_info = next((r["ort"] for r in rows if "ort" in r), None)
    if first:
        print(f"recur4j impl {first['impl']}, gemm {first['gemm']}, OpenBLAS core {first['openblas_core']};"
              f" FMA peak: {first['fma_peak_source']}; SGEMM {first['sgemm_backend']} {first['sgemm_shape']}")
    if torch_info:
        print(f"PyTorch {torch_info['torch_version']}, fp32, batch_first=True")
    if onednn_rows:
        d = onednn_rows[0]["onednn"]
        impls = {}  # oneDNN's RNN implementation (forward / backward) -> workloads that used it
        for r in onednn_rows:
            impl = "/".join(i for i in (r["onednn"]["impl_fwd"], r["onednn"]["impl_bwd"]) if i)
            impls.setdefault(impl, []).append(r["workload"])
        print(f"oneDNN {d['onednn_version']}, fp32, {d['cpu_runtime']} threads, ISA {d['isa']}; implementation: "
              + ", ".join(f"{i} ({','.join(dict.fromkeys(ws))})" for i, ws in impls.items()))
    if ort_info:
        print(f"ONNX Runtime {ort_info['ort_version']} (Java API), fp32, opset {ort_info['opset']} LSTM/GRU, time-major;"
              " intra-op threads = threads, sequential, all graph optimisations")
    print()
    print(table(rows, peers))
    print()
    print(host_summary(rows))
    reads = read_summary(rows)
    if reads:
        print(reads)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(rows, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
