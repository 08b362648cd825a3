"""Unit tests of compare_torch.py's rounds and host probe (no benchmark runs: the sides are fakes that return set
times, the probe a shell script).

    python3 -m unittest discover -s scripts/tests
"""
import argparse
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import compare_torch as ct  # noqa: E402


def recur4j_result(median_ms, worst_ratio=0.001, passed=True, alloc=0):
    """What `recur4j bench --json --check` prints, cut to the fields compare_torch reads."""
    return {"median_ms": median_ms, "min_ms": median_ms - 1, "max_ms": median_ms + 1, "flops_per_call": 2e9,
            "gflops": 2e9 / (median_ms * 1e6), "fma_peak_gflops": 200.0, "sgemm_gflops": 100.0,
            "frac_peak": 0.0, "frac_sgemm": 0.0, "alloc_bytes_per_call": alloc,
            "check": {"passed": passed, "worst_ratio": worst_ratio}}


def peer_result(median_ms):
    return {"median_ms": median_ms, "min_ms": median_ms - 1, "max_ms": median_ms + 1}


class RoundsTest(unittest.TestCase):
    def setUp(self):
        self.calls = []
        self.saved = ct.run_recur4j, dict(ct.PEERS)

    def tearDown(self):
        ct.run_recur4j, saved_peers = self.saved
        ct.PEERS.clear()
        ct.PEERS.update(saved_peers)

    def fake_sides(self, recur4j_ms, onednn_ms):
        """recur4j and oneDNN answer their next time from the lists; every call is recorded in order."""
        mine, theirs = iter(recur4j_ms), iter(onednn_ms)

        def run_recur4j(w, threads, args):
            self.calls.append("recur4j")
            return recur4j_result(next(mine))

        def run_onednn(w, threads, args):
            self.calls.append("onednn")
            return peer_result(next(theirs))

        ct.run_recur4j = run_recur4j
        ct.PEERS["onednn"] = ("oneDNN", run_onednn, True)

    def test_order_alternates_and_speedups_pair_rounds(self):
        self.fake_sides([100, 200, 110], [90, 240, 121])
        row, failed = ct.run_row("W2", ct.WORKLOADS["W2"], 1, ["onednn"], argparse.Namespace(rounds=3))
        self.assertFalse(failed)
        self.assertEqual(self.calls, ["recur4j", "onednn", "onednn", "recur4j", "recur4j", "onednn"])
        self.assertEqual(row["recur4j"]["round_medians_ms"], [100, 200, 110])
        self.assertEqual(row["recur4j"]["median_ms"], 110)
        self.assertEqual(row["onednn"]["median_ms"], 121)
        self.assertEqual(row["recur4j"]["min_ms"], 99)
        self.assertEqual(row["recur4j"]["max_ms"], 201)
        # the rate follows the combined median, not the first round's
        self.assertAlmostEqual(row["recur4j"]["gflops"], 2e9 / 110e6)
        self.assertAlmostEqual(row["recur4j"]["frac_peak"], 2e9 / 110e6 / 200)
        for got, want in zip(row["round_speedups"]["onednn"], [0.9, 1.2, 1.1]):
            self.assertAlmostEqual(got, want)
        # the table's cell is the median of the paired ratios, not the ratio of the medians (121 / 110 = 1.1)
        row["round_speedups"]["onednn"] = [0.9, 1.3, 1.0]
        self.assertEqual(ct.speedup_cell(row, "onednn", row["recur4j"], row["onednn"]), "1.00x (0.90-1.30)")

    def test_one_round_is_the_run_itself(self):
        self.fake_sides([100], [150])
        row, _ = ct.run_row("W2", ct.WORKLOADS["W2"], 1, ["onednn"], argparse.Namespace(rounds=1))
        self.assertNotIn("round_medians_ms", row["recur4j"])
        self.assertNotIn("round_speedups", row)
        self.assertEqual(ct.speedup_cell(row, "onednn", row["recur4j"], row["onednn"]), "1.50x")

    def test_worst_check_and_allocation_are_kept(self):
        outs = [recur4j_result(100, worst_ratio=0.002, alloc=0), recur4j_result(101, worst_ratio=0.004, alloc=16),
                recur4j_result(102, worst_ratio=0.003, alloc=0)]
        res = ct.combine_rounds(outs)
        self.assertEqual(res["check"]["worst_ratio"], 0.004)
        self.assertEqual(res["alloc_bytes_per_call"], 16)
        outs[2] = recur4j_result(102, worst_ratio=5.0, passed=False)
        self.assertFalse(ct.combine_rounds(outs)["check"]["passed"])

    def test_a_failing_side_is_not_run_again(self):
        def run_onednn(w, threads, args):
            self.calls.append("onednn")
            raise RuntimeError("onednn_rnn: no such primitive")

        self.fake_sides([100, 101, 102], [])
        ct.PEERS["onednn"] = ("oneDNN", run_onednn, True)
        row, failed = ct.run_row("W2", ct.WORKLOADS["W2"], 1, ["onednn"], argparse.Namespace(rounds=3))
        self.assertTrue(failed)
        self.assertEqual(self.calls.count("onednn"), 1)
        self.assertEqual(row["onednn_error"], "onednn_rnn: no such primitive")
        self.assertNotIn("round_speedups", row)
        self.assertEqual(row["recur4j"]["median_ms"], 101)


class HostProbeTest(unittest.TestCase):
    def setUp(self):
        self.saved = ct.FMA_PROBE
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        ct.FMA_PROBE = self.saved
        shutil.rmtree(self.dir)

    def probe(self, script):
        path = os.path.join(self.dir, "fma_peak")
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + script)
        os.chmod(path, 0o755)
        ct.FMA_PROBE = path

    def test_reads_the_avx512_figures_of_the_first_line(self):
        self.probe('echo \'{"probe":"fma_peak","avx512_gflops_1t":130.7,"avx512_gflops_all":348.9,'
                   '"avx2_gflops_1t":99.4}\'\necho second line\n')
        self.assertEqual(ct.host_fma_gflops(), {"1t": 130.7, "all": 348.9})

    def test_a_missing_or_failing_probe_gives_none(self):
        ct.FMA_PROBE = os.path.join(self.dir, "not_built")
        self.assertIsNone(ct.host_fma_gflops())
        self.probe("echo 'not json'; exit 3\n")
        self.assertIsNone(ct.host_fma_gflops())


if __name__ == "__main__":
    unittest.main()
