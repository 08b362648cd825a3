"""Unit tests of compare_torch.py's rounds and host probe (no benchmark runs: the sides are fakes that return set
times, the probe a shell script).

    python3 -m unittest discover -s scripts/tests
"""
import argparse
import contextlib
import io
import json
import math
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import compare_torch as ct  # noqa: E402


def recur4j_result(median_ms, worst_ratio=0.001, passed=True, alloc=0, alloc_mean=0.0, sgemm=100.0, runs=10,
                   min_ms=None):
    """What `recur4j bench --json --check` prints, cut to the fields compare_torch reads."""
    return {"median_ms": median_ms, "min_ms": median_ms - 1 if min_ms is None else min_ms, "max_ms": median_ms + 1,
            "p90_ms": median_ms + 0.5, "p99_ms": median_ms + 0.9, "warmup_calls": 5, "runs": runs,
            "flops_per_call": 2e9, "gflops": 2e9 / (median_ms * 1e6), "fma_peak_gflops": 200.0,
            "sgemm_gflops": sgemm, "frac_peak": 0.0, "frac_sgemm": 0.0, "alloc_bytes_per_call": alloc,
            "alloc_bytes_mean_per_call": alloc_mean, "fma_now_gflops": 2 * median_ms, "frac_peak_now": 0.0,
            "recurrent_weight_bytes_per_call": 4e8, "recurrent_read_gbs": 4e8 / (median_ms * 1e6),
            "l2_read_gbs": 100.0, "frac_l2_read": 0.0, "l3_read_gbs": None, "frac_l3_read": None,
            "dram_read_gbs": 20.0, "frac_dram_read": 0.0, "check": {"passed": passed, "worst_ratio": worst_ratio}}


def peer_result(median_ms, runs=10):
    return {"median_ms": median_ms, "min_ms": median_ms - 1, "max_ms": median_ms + 1, "runs": runs}


class FakeProbe:
    """Points compare_torch's FMA probe at a shell script in a temporary folder (or at nothing)."""

    def __init__(self):
        self.saved = ct.FMA_PROBE
        self.dir = tempfile.mkdtemp()

    def script(self, body):
        path = os.path.join(self.dir, "fma_peak")
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(path, 0o755)
        ct.FMA_PROBE = path

    def missing(self):
        ct.FMA_PROBE = os.path.join(self.dir, "not_built")

    def restore(self):
        ct.FMA_PROBE = self.saved
        shutil.rmtree(self.dir)


def run_row(rounds, workload="W2", peers=("onednn",)):
    with contextlib.redirect_stderr(io.StringIO()):
        return ct.run_row(workload, ct.WORKLOADS[workload], 1, list(peers), argparse.Namespace(rounds=rounds))


class RoundsTest(unittest.TestCase):
    def setUp(self):
        self.calls = []
        self.saved = ct.run_recur4j, dict(ct.PEERS)
        self.probe = FakeProbe()
        self.probe.missing()

    def tearDown(self):
        ct.run_recur4j, saved_peers = self.saved
        ct.PEERS.clear()
        ct.PEERS.update(saved_peers)
        self.probe.restore()

    def fake_sides(self, mine, theirs):
        """recur4j and oneDNN answer the next item of their list: a result, a time in ms, or an exception to
        raise; every call is recorded in order."""
        mine, theirs = iter(mine), iter(theirs)

        def answer(name, it, make):
            self.calls.append(name)
            item = next(it)
            if isinstance(item, Exception):
                raise item
            return item if isinstance(item, dict) else make(item)

        ct.run_recur4j = lambda w, threads, args: answer("recur4j", mine, recur4j_result)
        ct.PEERS["onednn"] = ("oneDNN", lambda w, threads, args: answer("onednn", theirs, peer_result), True)

    def test_order_alternates_and_speedups_pair_rounds(self):
        self.fake_sides([100, 200, recur4j_result(110, min_ms=50)], [90, 240, 121])
        row, failed = run_row(3)
        self.assertFalse(failed)
        self.assertEqual(self.calls, ["recur4j", "onednn", "onednn", "recur4j", "recur4j", "onednn"])
        self.assertEqual(row["recur4j"]["round_medians_ms"], [100, 200, 110])
        self.assertEqual(row["recur4j"]["median_ms"], 110)
        self.assertEqual(row["onednn"]["median_ms"], 121)
        self.assertEqual(row["recur4j"]["min_ms"], 50)  # the least over every round, here the last
        self.assertEqual(row["recur4j"]["max_ms"], 201)
        self.assertEqual(row["recur4j"]["runs"], 30)
        self.assertEqual(row["onednn"]["runs"], 30)
        self.assertEqual(len(row["recur4j"]["round_results"]), 3)
        for gone in ("p90_ms", "p99_ms", "warmup_calls"):  # do not combine: only in round_results
            self.assertNotIn(gone, row["recur4j"])
        # the rates follow the combined median, not the first round's
        self.assertAlmostEqual(row["recur4j"]["gflops"], 2e9 / 110e6)
        self.assertAlmostEqual(row["recur4j"]["frac_peak"], 2e9 / 110e6 / 200)
        self.assertAlmostEqual(row["recur4j"]["frac_sgemm"], 2e9 / 110e6 / 100)
        self.assertEqual(row["recur4j"]["fma_now_gflops"], 220)  # the median of 200, 400, 220
        self.assertAlmostEqual(row["recur4j"]["frac_peak_now"], 2e9 / 110e6 / 220)
        self.assertAlmostEqual(row["recur4j"]["recurrent_read_gbs"], 4e8 / 110e6)
        self.assertAlmostEqual(row["recur4j"]["frac_l2_read"], 4e8 / 110e6 / 100)
        self.assertAlmostEqual(row["recur4j"]["frac_dram_read"], 4e8 / 110e6 / 20)
        self.assertIsNone(row["recur4j"]["frac_l3_read"])  # a level the bandwidth probe did not measure
        self.assertEqual(len(row["round_speedups"]["onednn"]), 3)
        for got, want in zip(row["round_speedups"]["onednn"], [0.9, 1.2, 1.1]):
            self.assertAlmostEqual(got, want)
        # the table's cell is the median of the paired ratios, not the ratio of the medians (121 / 110 = 1.1)
        row["round_speedups"]["onednn"] = [0.9, 1.3, 1.0]
        self.assertEqual(ct.speedup_cell(row, "onednn", row["recur4j"], row["onednn"]), "1.00x (0.90-1.30)")

    def test_one_round_is_the_run_itself(self):
        self.fake_sides([100], [150])
        row, _ = run_row(1)
        self.assertNotIn("round_medians_ms", row["recur4j"])
        self.assertIn("p90_ms", row["recur4j"])
        self.assertNotIn("round_speedups", row)
        self.assertNotIn("rounds", row)
        self.assertNotIn("host_fma_gflops", row)  # the probe is not built here
        self.assertEqual(ct.speedup_cell(row, "onednn", row["recur4j"], row["onednn"]), "1.50x")

    def test_worst_check_allocation_and_sgemm_median(self):
        outs = [recur4j_result(100, worst_ratio=0.002, alloc=0, alloc_mean=0.0, sgemm=90.0),
                recur4j_result(101, worst_ratio=0.004, alloc=16, alloc_mean=3.2, sgemm=None),
                recur4j_result(102, worst_ratio=0.003, alloc=0, alloc_mean=0.0, sgemm=110.0)]
        res = ct.combine_rounds(outs)
        self.assertEqual(res["check"]["worst_ratio"], 0.004)
        self.assertEqual(res["alloc_bytes_per_call"], 16)
        self.assertEqual(res["alloc_bytes_mean_per_call"], 3.2)
        self.assertEqual(res["sgemm_gflops"], 100.0)  # median of the rounds that measured it
        # a failing check is kept even when its ratio is not the largest (NaN, or lower than a passing one)
        outs[2] = recur4j_result(102, worst_ratio=float("nan"), passed=False)
        self.assertFalse(ct.combine_rounds(outs)["check"]["passed"])
        outs[2] = recur4j_result(102, worst_ratio=0.001, passed=False)
        self.assertFalse(ct.combine_rounds(outs)["check"]["passed"])
        for o in outs:
            o["sgemm_gflops"] = None
        res = ct.combine_rounds(outs)
        self.assertIsNone(res["sgemm_gflops"])
        self.assertTrue(math.isnan(res["frac_sgemm"]))

    def test_the_allocation_cell_shows_a_mean_above_zero(self):
        self.assertEqual(ct.alloc_cell(recur4j_result(100)), "0")
        # the least call allocated nothing but another did: the cell must not read a bare 0
        self.assertEqual(ct.alloc_cell(recur4j_result(100, alloc=0, alloc_mean=3.2)), "0 (mean 3)")
        self.assertEqual(ct.alloc_cell(None), "-")

    def test_a_differing_check_fails_the_row(self):
        self.fake_sides([100, recur4j_result(101, worst_ratio=3.0, passed=False)], [100, 100])
        row, failed = run_row(2)
        self.assertTrue(failed)
        self.assertFalse(row["recur4j"]["check"]["passed"])

    def test_a_side_failing_in_round_one_is_not_run_again(self):
        self.fake_sides([100, 101, 102], [RuntimeError("onednn_rnn: no such primitive")])
        row, failed = run_row(3)
        self.assertTrue(failed)
        self.assertEqual(self.calls.count("onednn"), 1)
        self.assertEqual(row["onednn_error"], "onednn_rnn: no such primitive")
        self.assertNotIn("round_speedups", row)
        self.assertEqual(row["recur4j"]["median_ms"], 101)

    def test_a_later_failure_pairs_the_rounds_both_completed(self):
        self.fake_sides([100, 110, 120], [90, RuntimeError("onednn_rnn: out of memory")])
        row, failed = run_row(3)
        self.assertTrue(failed)
        self.assertEqual(self.calls, ["recur4j", "onednn", "onednn", "recur4j", "recur4j"])
        self.assertEqual(row["round_speedups"]["onednn"], [0.9])
        self.assertEqual(ct.speedup_cell(row, "onednn", row["recur4j"], row["onednn"]),
                         "0.90x (0.90-0.90, 1 of 3 rounds)")

    def test_recur4j_failing_later_pairs_its_completed_rounds(self):
        self.fake_sides([100, 200, RuntimeError("recur4j: exit 1")], [110, 180, 130])
        row, _ = run_row(3)
        for got, want in zip(row["round_speedups"]["onednn"], [1.1, 0.9]):
            self.assertAlmostEqual(got, want)
        self.assertEqual(len(row["round_speedups"]["onednn"]), 2)


class HostProbeTest(unittest.TestCase):
    def setUp(self):
        self.probe = FakeProbe()

    def tearDown(self):
        self.probe.restore()

    def test_reads_the_avx512_figures_of_the_first_line(self):
        self.probe.script("echo '{\"probe\":\"fma_peak\",\"avx512_gflops_1t\":130.7,\"avx512_gflops_all\":348.9,"
                          "\"avx2_gflops_1t\":99.4,\"avx2_gflops_all\":190.0}'\necho second line\n")
        self.assertEqual(ct.host_fma_gflops(), {"isa": "avx512", "1t": 130.7, "all": 348.9})

    def test_avx2_where_the_probe_finds_no_avx512(self):
        self.probe.script("echo '{\"probe\":\"fma_peak\",\"avx512_gflops_1t\":0.0,\"avx512_gflops_all\":0.0,"
                          "\"avx2_gflops_1t\":99.4,\"avx2_gflops_all\":190.0}'\n")
        self.assertEqual(ct.host_fma_gflops(), {"isa": "avx2", "1t": 99.4, "all": 190.0})

    def test_a_missing_or_failing_probe_gives_none(self):
        self.probe.missing()
        self.assertIsNone(ct.host_fma_gflops())
        for body in ["echo 'not json'; exit 3\n", "echo 'null'\n", "echo '[1, 2]'\n",
                     "echo '{\"avx512_gflops_1t\": 200.0}'; exit 1\n"]:
            self.probe.script(body)
            self.assertIsNone(ct.host_fma_gflops(), body)

    def test_every_round_is_probed_and_summarised(self):
        self.probe.script("echo '{\"avx512_gflops_1t\":150.0,\"avx512_gflops_all\":300.0}'\n")
        with open(os.path.join(self.probe.dir, "limits.json"), "w") as f:
            json.dump([{"probe": "fma_peak", "avx512_gflops_1t": 221.8, "avx512_gflops_all": 440.7}], f)
        saved = ct.run_recur4j
        ct.run_recur4j = lambda w, threads, args: recur4j_result(100)
        try:
            row, _ = run_row(2, peers=())
        finally:
            ct.run_recur4j = saved
        self.assertEqual(row["host_fma_gflops"], [{"isa": "avx512", "1t": 150.0, "all": 300.0}] * 2)
        self.assertEqual(ct.host_summary([row, {"host_fma_gflops": [None]}]),
                         "host FMA peak before each round (avx512, 2 of 3 probes): one core 150.0-150.0 GFLOP/s,"
                         " all cores 300.0-300.0 (limits file, which % of peak divides by: 221.8 / 440.7)")
        self.assertIn("failed before every round", ct.host_summary([{"host_fma_gflops": [None]}]))
        self.probe.missing()
        self.assertIn("is not built", ct.host_summary([row]))

    def test_the_read_line_gives_each_rows_rate_and_fractions(self):
        w1 = {"workload": "W1", "threads": 1, "recur4j": {"recurrent_read_gbs": 115.74, "frac_l2_read": 1.052,
                                                           "frac_l3_read": 1.226}}
        no_l3 = {"workload": "W2", "threads": 2, "recur4j": {"recurrent_read_gbs": 7.8, "frac_l2_read": 0.037,
                                                              "frac_l3_read": None}}
        failed = {"workload": "W3", "threads": 1}  # recur4j failed: no figures
        self.assertEqual(ct.read_summary([w1, no_l3, failed]),
                         "recurrent weights read by recur4j at its median, GB/s (% of the limits file's L2 / L3 read"
                         " bandwidth): W1/1 115.7 (105 / 123), W2/2 7.8 (4 / -)")
        self.assertIsNone(ct.read_summary([failed]))


if __name__ == "__main__":
    unittest.main()
