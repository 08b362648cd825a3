"""Unit tests of jmh_table.py: GFLOP/s of a GEMM shape and of workloads, the speed-up vs scalar, the B/op column,
unknown names, on a JMH JSON sample written here; and the drift check: jmh_table's SHAPES, WORKLOADS and GATES
against the Java sources they copy (GemmBench.java, Workload.java, LayerBench.java, CellKind.java) and its FLOP
count against RnnFlops.java.

    python3 -m unittest discover -s scripts/tests
"""
import contextlib
import copy
import io
import json
import math
import os
import re
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, ".."))
import jmh_table  # noqa: E402

BENCH = os.path.join(ROOT, "bench", "src", "main", "java", "dev", "recur4j", "bench")
MAIN = os.path.join(ROOT, "src", "main", "java", "dev", "recur4j")

# One result exactly as JMH 1.37 wrote it (-f 1 -wi 0 -i 1 -r 100ms -prof gc -rf json; 6 of its 10 percentiles
# kept): OpenBLAS on rec_w2.
REAL_RESULT = {
    "jmhVersion": "1.37",
    "benchmark": "dev.recur4j.bench.GemmBench.sgemm",
    "mode": "avgt",
    "threads": 1,
    "forks": 1,
    "jvm": "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java",
    "jvmArgs": ["--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"],
    "jdkVersion": "25.0.3",
    "vmName": "OpenJDK 64-Bit Server VM",
    "vmVersion": "25.0.3+9-LTS",
    "warmupIterations": 0,
    "warmupTime": "1 s",
    "warmupBatchSize": 1,
    "measurementIterations": 1,
    "measurementTime": "100 ms",
    "measurementBatchSize": 1,
    "params": {"gemm": "openblas", "shape": "rec_w2", "weights": "prepared"},
    "primaryMetric": {
        "score": 1698.1631833333333,
        "scoreError": "NaN",
        "scoreConfidence": ["NaN", "NaN"],
        "scorePercentiles": {"0.0": 1698.1631833333333, "50.0": 1698.1631833333333, "90.0": 1698.1631833333333,
                             "99.0": 1698.1631833333333, "99.9": 1698.1631833333333, "100.0": 1698.1631833333333},
        "scoreUnit": "us/op",
        "rawData": [[1698.1631833333333]],
    },
    "secondaryMetrics": {
        "gc.alloc.rate": {"score": 83.5097291576526, "scoreError": "NaN", "scoreConfidence": ["NaN", "NaN"],
                          "scorePercentiles": {"0.0": 83.5097291576526, "100.0": 83.5097291576526},
                          "scoreUnit": "MB/sec", "rawData": [[83.5097291576526]]},
        "gc.alloc.rate.norm": {"score": 148696.8, "scoreError": "NaN", "scoreConfidence": ["NaN", "NaN"],
                               "scorePercentiles": {"0.0": 148696.8, "100.0": 148696.8},
                               "scoreUnit": "B/op", "rawData": [[148696.8]]},
        "gc.count": {"score": 1.0, "scoreError": "NaN", "scoreConfidence": [1.0, 1.0],
                     "scorePercentiles": {"0.0": 1.0, "100.0": 1.0}, "scoreUnit": "counts", "rawData": [[1.0]]},
    },
}


def result(cls, method, params, score, unit, error="NaN", alloc=None, alloc_key="gc.alloc.rate.norm",
           mode="avgt"):
    """A result shaped like REAL_RESULT; JMH writes a number for scoreError from 2 iterations on."""
    r = copy.deepcopy(REAL_RESULT)
    r["benchmark"] = f"dev.recur4j.bench.{cls}.{method}"
    r["mode"] = mode
    r["params"] = dict(params)
    r["primaryMetric"].update(score=score, scoreError=error, scoreUnit=unit, rawData=[[score]])
    r["secondaryMetrics"] = {}
    if alloc is not None:
        r["secondaryMetrics"][alloc_key] = {"score": alloc, "scoreError": "NaN", "scoreUnit": "B/op"}
    return r


def cell_step(cell, impl, mode, score, hidden="512", alloc=None):
    params = {"cell": cell, "hidden": hidden, "impl": impl, "mode": mode, "rows": "64"}
    return result("CellStepBench", "step", params, score, "us/op", error=score / 100, alloc=alloc)


def layer(workload, score, impl="simd", gemm="openblas"):
    params = {"gemm": gemm, "impl": impl, "threads": "1", "workload": workload}
    return result("LayerBench", "run", params, score, "ms/op", error=0.5, alloc=1024.0)


SAMPLE = [
    cell_step("lstm", "scalar", "training", 120.0, alloc=0.004),
    cell_step("lstm", "simd", "training", 30.0, alloc=0.002),
    cell_step("gru", "scalar", "inference", 90.0),
    cell_step("gru", "simd", "inference", 45.0),
    cell_step("gru", "simd", "inference", 80.0, hidden="1024"),  # no scalar row with hidden=1024
    REAL_RESULT,
    result("GemmBench", "sgemm", {"gemm": "java", "shape": "dw_w7", "weights": "prepared"}, 50000.0, "us/op",
           error=1250.0, alloc=96.0, alloc_key="\u00b7gc.alloc.rate.norm"),  # JMH < 1.36 names it so
    result("GemmBench", "sgemm", {"gemm": "java", "shape": "rec_w9", "weights": "prepared"}, 10.0, "us/op"),
    layer("W4", 100.0),
    layer("W6", 400.0),
    layer("W6", 800.0, impl="scalar"),
    layer("W99", 5.0),
]


def tables(results):
    warnings = []
    built = jmh_table.build_tables(copy.deepcopy(results), warn=warnings.append)
    return {t["class"]: t for t in built}, warnings


def find(table, **params):
    rows = [r for r in table["rows"] if all(r["params"].get(k) == v for k, v in params.items())]
    assert len(rows) == 1, f"{len(rows)} rows with {params}"
    return rows[0]


class FlopsTest(unittest.TestCase):
    def setUp(self):
        self.tables, self.warnings = tables(SAMPLE)

    def test_gemm_gflops_of_a_shape(self):
        # rec_w2: h[64,512] · W_hh^T[512,2048]: 2·64·2048·512 FLOPs in 1698.16 us
        row = find(self.tables["GemmBench"], shape="rec_w2")
        self.assertAlmostEqual(row["gflops"], 2 * 64 * 2048 * 512 / 1698.1631833333333e-6 / 1e9, places=9)
        self.assertAlmostEqual(row["gflops"], 79.04, places=2)
        # dw_w7: dW[1024,768] = dG^T[1024,6400] · [X | H_prev][6400,768]
        row = find(self.tables["GemmBench"], shape="dw_w7")
        self.assertAlmostEqual(row["gflops"], 2 * 1024 * 768 * 6400 / 50e-3 / 1e9, places=9)
        # the same in ms/op
        row = find(tables([result("GemmBench", "sgemm", {"shape": "dw_w7"}, 50.0, "ms/op")])[0]["GemmBench"])
        self.assertAlmostEqual(row["gflops"], 2 * 1024 * 768 * 6400 / 50e-3 / 1e9, places=9)

    def test_layer_gflops_of_workloads(self):
        # W4: LSTM (G=4), 2 layers, both directions, B=32, T=50, I=128, H=256; layer 1's input is 2·256
        layer0 = 2 * 32 * 50 * 4 * 256 * (128 + 256) * 2
        layer1 = 2 * 32 * 50 * 4 * 256 * (512 + 256) * 2
        self.assertEqual(layer0 + layer1, 7_549_747_200)
        row = find(self.tables["LayerBench"], workload="W4")
        self.assertAlmostEqual(row["gflops"], (layer0 + layer1) / 0.1 / 1e9, places=9)
        # W6: W2's LSTM (B=64, T=100, I=256, H=512) forward + backward = 3 × forward
        forward = 2 * 64 * 100 * 4 * 512 * (256 + 512)
        self.assertEqual(3 * forward, 60_397_977_600)
        row = find(self.tables["LayerBench"], workload="W6", impl="simd")
        self.assertAlmostEqual(row["gflops"], 3 * forward / 0.4 / 1e9, places=9)
        self.assertAlmostEqual(row["gflops"], 150.99, places=2)

    def test_gru_and_rnn_gates(self):
        # W3: GRU, 3 gate blocks
        self.assertEqual(jmh_table.layer_flops("W3"), 2 * 64 * 100 * 3 * 512 * (256 + 512))
        saved = dict(jmh_table.WORKLOADS)
        try:
            jmh_table.WORKLOADS["R"] = dict(jmh_table.WORKLOADS["W1"], cell="rnn_tanh")
            self.assertEqual(jmh_table.layer_flops("R"), 2 * 1 * 100 * 1 * 256 * (64 + 256))
        finally:
            jmh_table.WORKLOADS.clear()
            jmh_table.WORKLOADS.update(saved)

    def test_unknown_names_keep_their_row_without_gflops_and_say_so(self):
        self.assertIsNone(find(self.tables["GemmBench"], shape="rec_w9")["gflops"])
        self.assertIsNone(find(self.tables["LayerBench"], workload="W99")["gflops"])
        self.assertEqual(len(self.warnings), 2, self.warnings)
        self.assertIn("'rec_w9'", self.warnings[0])
        self.assertIn("'W99'", self.warnings[1])

    def test_no_gflops_for_cell_steps(self):
        self.assertIsNone(self.tables["CellStepBench"]["flops_note"])
        self.assertTrue(all(r["gflops"] is None for r in self.tables["CellStepBench"]["rows"]))

    def test_throughput_units(self):
        self.assertAlmostEqual(jmh_table.seconds_per_op(4.0, "ops/ms"), 0.25e-3)
        self.assertAlmostEqual(jmh_table.seconds_per_op(4.0, "ns/op"), 4e-9)
        self.assertIsNone(jmh_table.seconds_per_op(4.0, "B/op"))
        self.assertIsNone(jmh_table.seconds_per_op(math.nan, "us/op"))


class SpeedupAndAllocTest(unittest.TestCase):
    def setUp(self):
        self.tables, _ = tables(SAMPLE)

    def test_simd_is_paired_with_the_scalar_row_of_the_same_params(self):
        t = self.tables["CellStepBench"]
        self.assertTrue(t["speedup"])
        self.assertAlmostEqual(find(t, cell="lstm", impl="simd")["speedup"], 120.0 / 30.0)
        self.assertAlmostEqual(find(t, cell="gru", impl="simd", hidden="512")["speedup"], 90.0 / 45.0)
        self.assertIsNone(find(t, cell="gru", impl="simd", hidden="1024")["speedup"])
        self.assertIsNone(find(t, cell="lstm", impl="scalar")["speedup"])
        # LayerBench has scalar rows too
        self.assertAlmostEqual(find(self.tables["LayerBench"], workload="W6", impl="simd")["speedup"], 2.0)
        self.assertFalse(self.tables["GemmBench"]["speedup"])

    def test_bytes_per_op(self):
        self.assertEqual(find(self.tables["GemmBench"], shape="rec_w2")["bytes_per_op"], 148696.8)
        self.assertEqual(find(self.tables["GemmBench"], shape="dw_w7")["bytes_per_op"], 96.0)
        self.assertIsNone(find(self.tables["GemmBench"], shape="rec_w9")["bytes_per_op"])
        self.assertTrue(self.tables["GemmBench"]["alloc"])
        no_gc, _ = tables([result("GemmBench", "sgemm", {"gemm": "java", "shape": "rec_w1"}, 1.0, "us/op")])
        self.assertFalse(no_gc["GemmBench"]["alloc"])

    def test_rendered_tables(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "r.json")
            with open(path, "w") as f:
                json.dump(SAMPLE, f)
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                self.assertEqual(jmh_table.main([path]), 0)
        text = out.getvalue()
        self.assertIn("| shape | gemm | weights | m×n×k | score (us/op) | ± (99.9 %) | GFLOP/s | B/op |", text)
        self.assertIn("| rec_w2 | openblas | prepared | 64×2048×512 A·Bᵀ | 1,698 | n/a | 79.0 | 148,697 |", text)
        self.assertIn("| dw_w7 | java | prepared | 1024×768×6400 Aᵀ·B | 50,000 | 1,250 | 201 | 96.0 |", text)
        self.assertIn("| rec_w9 | java | prepared | ? | 10.0 | n/a |  |  |", text)
        self.assertIn("| cell | mode | hidden | rows | impl | score (us/op) | ± (99.9 %) | speed-up vs scalar "
                      "| B/op |", text)
        self.assertIn("| lstm | training | 512 | 64 | simd | 30.0 | 0.300 | 4.00x | 0.00200 |", text)
        self.assertIn("| gru | inference | 1024 | 64 | simd | 80.0 | 0.800 | n/a |  |", text)
        self.assertIn("| W6 | scalar | openblas | 1 | 800 | 0.500 | 75.5 | baseline | 1,024 |", text)
        self.assertEqual(text.count("### "), 3)
        self.assertIn("'rec_w9'", err.getvalue())

    def test_mixed_units_go_into_the_score_cells(self):
        mixed, _ = tables([result("GemmBench", "sgemm", {"shape": "rec_w1"}, 2.0, "us/op"),
                           result("GemmBench", "sgemm", {"shape": "rec_w2"}, 3.0, "ops/ms", mode="thrpt")])
        text = "\n".join(jmh_table.render(mixed["GemmBench"]))
        self.assertIn("| JMH mode | shape | m×n×k | score | ± (99.9 %) | GFLOP/s |", text)
        self.assertIn("| thrpt | rec_w2 | 64×2048×512 A·Bᵀ | 3.00 ops/ms | n/a | 403 |", text)

    def test_a_file_that_is_not_a_jmh_result(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "r.json")
            with open(path, "w") as f:
                f.write('{"benchmark": "x"}')
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                self.assertEqual(jmh_table.main([path]), 2)
        self.assertIn("list of benchmark results", err.getvalue())


# ---------------------------------------------------------------------------------------------
# The drift check: the Java sources, read with regular expressions that fail loudly on what they do not find.

def read(*path):
    with open(os.path.join(*path), encoding="utf-8") as f:
        return f.read()


def param_values(source, field):
    m = re.search(r'@Param\(\{([^}]*)\}\)\s*public \w+ ' + field + ';', source)
    if not m:
        raise AssertionError(f"no @Param list for {field}")
    return re.findall(r'"(\w+)"', m.group(1))


def gemm_shapes(source):
    """GemmBench's shapes: {name: (m, n, k, A transposed, B transposed)}; every @Param shape must be found."""
    yes = {"YES": True, "NO": False}
    dims = r'm = (\d+);\s*n = (\d+);\s*k = (\d+);\s*transA = Transpose\.(YES|NO);\s*transB = Transpose\.(YES|NO);'
    found = {}
    aliases = dict(re.findall(r'boolean (\w+) = shape\.equals\("(\w+)"\)', source))
    for var, name, m, n, k, ta, tb in re.findall(r'if \((?:(\w+)|shape\.equals\("(\w+)"\))\)\s*\{\s*' + dims, source):
        name = name or aliases.get(var)
        if name:
            found[name] = (int(m), int(n), int(k), yes[ta], yes[tb])
    switch = re.search(r'int\[\] mnk = switch \(shape\) \{(.*?)\};\s*m = mnk\[0\];\s*n = mnk\[1\];\s*k = mnk\[2\];'
                       r'\s*transA = Transpose\.(YES|NO);\s*transB = Transpose\.(YES|NO);', source, re.S)
    if not switch:
        raise AssertionError("GemmBench.java: the shape switch (int[] mnk = switch (shape) ...) not found")
    for name, m, n, k in re.findall(r'case "(\w+)" -> new int\[\] \{(\d+), (\d+), (\d+)\}', switch.group(1)):
        found[name] = (int(m), int(n), int(k), yes[switch.group(2)], yes[switch.group(3)])
    names = param_values(source, "shape")
    missing = [n for n in names if n not in found]
    if missing:
        raise AssertionError(f"GemmBench.java: no m, n, k and transposes found for {missing}: "
                             "update this parser, and jmh_table.SHAPES")
    return {n: found[n] for n in names}


WORKLOAD_CONSTRUCTOR = (r'Workload\(\s*CellKind cell,\s*int layers,\s*boolean bidirectional,\s*int batch,\s*'
                        r'int seqLen,\s*int inputSize,\s*int hiddenSize,\s*boolean training\s*\)')


def workloads(source, cell_names):
    """Workload's constants as jmh_table.WORKLOADS writes them; every constant must be read."""
    if not re.search(WORKLOAD_CONSTRUCTOR, source):
        raise AssertionError("Workload.java: the constructor's parameters changed: update this parser and "
                             "jmh_table.WORKLOADS")
    if "projSize" in source:
        raise AssertionError("Workload.java sets a projection: jmh_table.layer_flops does not count it")
    if not re.search(r'RnnSpec\.builder\(cell, inputSize, hiddenSize\)\.numLayers\(layers\)'
                     r'\.bidirectional\(bidirectional\)\.build\(\)', source):
        raise AssertionError("Workload.spec() changed: check jmh_table.layer_flops against it")
    constants = re.findall(r'^\s*(\w+)\(CellKind\.', source, re.M)
    found = {}
    for name, cell, layers, bi, b, t, i, h, training in re.findall(
            r'^\s*(\w+)\(CellKind\.(\w+),\s*(\d+),\s*(true|false),\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+),\s*'
            r'(true|false)\)', source, re.M):
        found[name] = dict(cell=cell_names[cell], layers=int(layers), bidirectional=bi == "true", batch=int(b),
                           seq=int(t), input_size=int(i), hidden=int(h),
                           mode="training" if training == "true" else "inference")
    missing = [c for c in constants if c not in found]
    if missing or not constants:
        raise AssertionError(f"Workload.java: could not read {missing or 'any constant'}: update this parser")
    return {c: found[c] for c in constants}


def cell_kinds(source):
    """CellKind's constants: {enum name: (gates, CLI name)}."""
    kinds = {name: (int(g), cli) for name, g, cli in re.findall(r'^\s*(\w+)\((\d+), "(\w+)"\)', source, re.M)}
    if not kinds:
        raise AssertionError("CellKind.java: no constants read: update this parser")
    return kinds


# RnnFlops's definition as jmh_table.layer_flops implements it (whitespace-insensitive): both methods whole, so a
# term added anywhere in them fails the check, and the RnnSpec methods they call.
RNN_FLOPS_DEFINITION = [
    ("RnnFlops.java", """public static double forward(RnnSpec spec, int batch, int seqLen) {
        double total = 0;
        int g = spec.gates();
        int h = spec.hiddenSize();
        for (int l = 0; l < spec.numLayers(); l++) {
            double perDirection = 2.0 * batch * seqLen * g * h * (spec.layerInputSize(l) + spec.outputSize());
            if (spec.projSize() > 0) {
                perDirection += 2.0 * batch * seqLen * h * spec.projSize();
            }
            total += perDirection * spec.directions();
        }
        return total;
    }"""),
    ("RnnFlops.java", """public static double training(RnnSpec spec, int batch, int seqLen) {
        return 3 * forward(spec, batch, seqLen);
    }"""),
    ("RnnSpec.java", "return layer == 0 ? inputSize : directions() * outputSize()"),
    ("RnnSpec.java", "return projSize > 0 ? projSize : hiddenSize"),
    ("RnnSpec.java", "return bidirectional ? 2 : 1"),
]


def squeeze(text):
    return re.sub(r"\s+", "", text)


class DriftTest(unittest.TestCase):
    def test_shapes_match_gemm_bench(self):
        self.assertEqual(gemm_shapes(read(BENCH, "GemmBench.java")), jmh_table.SHAPES)

    def test_workloads_match_workload_and_layer_bench(self):
        kinds = cell_kinds(read(MAIN, "CellKind.java"))
        cell_names = {name: cli for name, (_, cli) in kinds.items()}
        self.assertEqual(workloads(read(BENCH, "Workload.java"), cell_names), jmh_table.WORKLOADS)
        self.assertEqual(param_values(read(BENCH, "LayerBench.java"), "workload"), list(jmh_table.WORKLOADS))

    def test_gates_match_cell_kind(self):
        self.assertEqual({cli: g for g, cli in cell_kinds(read(MAIN, "CellKind.java")).values()}, jmh_table.GATES)

    def test_flop_count_matches_rnn_flops(self):
        for file, line in RNN_FLOPS_DEFINITION:
            with self.subTest(file=file, line=line):
                self.assertIn(squeeze(line), squeeze(read(MAIN, file)),
                              f"{file} no longer says `{line}`: check jmh_table.layer_flops against it")

    # The mutations below are regular expressions on the real sources, so that they follow edits to them.
    def test_the_check_sees_a_changed_or_missing_shape(self):
        source = read(BENCH, "GemmBench.java")
        changed = re.sub(r'(case "\w+" -> new int\[\] \{\d+, \d+, )(\d+)', lambda m: m[1] + str(int(m[2]) + 1),
                         source, count=1)
        self.assertNotEqual(changed, source)
        self.assertNotEqual(gemm_shapes(changed), jmh_table.SHAPES)
        added = re.sub(r'(@Param\(\{[^}]*)\}\)(\s*public String shape;)', r'\1, "rec_w9"})\2', source)
        self.assertNotEqual(added, source)
        with self.assertRaisesRegex(AssertionError, "rec_w9"):
            gemm_shapes(added)
        transposed = source.replace("transA = Transpose.YES;", "transA = Transpose.NO;")
        self.assertNotEqual(transposed, source)
        self.assertNotEqual(gemm_shapes(transposed), jmh_table.SHAPES)

    def test_the_check_sees_a_changed_or_unreadable_workload(self):
        source = read(BENCH, "Workload.java")
        cell_names = {name: cli for name, (_, cli) in cell_kinds(read(MAIN, "CellKind.java")).items()}
        first = r'(\(CellKind\.\w+,\s*\d+,\s*\w+,\s*\d+,\s*\d+,\s*\d+,\s*)(\d+)'  # ... its hidden size
        changed = re.sub(first, lambda m: m[1] + str(int(m[2]) + 1), source, count=1)
        self.assertNotEqual(changed, source)
        self.assertNotEqual(workloads(changed, cell_names), jmh_table.WORKLOADS)
        odd = re.sub(r'(\(CellKind\.\w+,\s*\d+,\s*\w+,\s*)(\d+)', r'\1 1 * \2', source, count=1)  # its batch
        self.assertNotEqual(odd, source)
        with self.assertRaisesRegex(AssertionError, list(jmh_table.WORKLOADS)[0]):
            workloads(odd, cell_names)


if __name__ == "__main__":
    unittest.main()
