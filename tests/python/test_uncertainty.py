"""Intervals, regimes and the report's first screen on samples with known answers."""

import copy
import json
import os
import shutil
import tempfile
import unittest

from reports.cli import build_report
from reports.headline import speedup_rows
from reports.load import load_all
from reports.points import collect_points
from reports.uncertainty import median_interval, ratio_interval, relative_half_width

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "small.json")


class IntervalTest(unittest.TestCase):
    def test_median_interval_matches_the_binomial_rule(self):
        # The harness's (tests/stats_test.cc): none below 6, [min, max] at 6,
        # the second smallest to the second largest at 9 and 10.
        self.assertIsNone(median_interval([1, 2, 3, 4, 5]))
        self.assertEqual(median_interval([6, 1, 5, 2, 4, 3]), (1, 6))
        self.assertEqual(median_interval(range(1, 10)), (2, 8))
        self.assertEqual(median_interval(range(1, 11)), (2, 9))
        self.assertAlmostEqual(relative_half_width([100, 102, 98, 101, 99, 100]), 0.02)

    def test_ratio_interval_holds_the_ratio_of_tight_samples(self):
        low, high = ratio_interval([100, 101, 99, 102, 98, 100], [50, 51, 49, 50, 52, 48])
        self.assertLess(low, 2.0)
        self.assertGreater(high, 2.0)
        self.assertLess(high - low, 0.3)
        self.assertIsNone(ratio_interval([1, 2], [1, 2, 3]))  # too few repetitions
        self.assertIsNone(ratio_interval([1, 2, 3], [0, 0, 0]))


def synthetic_results(directory):
    """The fixture's spinlock points with 6 repetitions each: ticket and
    pv_ticket at 1 thread (within the CPUs) and 8 (oversubscribed); the
    ticket at 8 split into two modes; a 2-CPU hand-off matrix."""
    with open(FIXTURE, encoding="utf-8") as f:
        doc = json.load(f)
    doc["context"]["lockbench"]["calibration"] = {"cpus": [0, 1],
                                                  "c2c_ns": [[0, 40.0], [40.0, 0]]}
    rates = {("ticket", 1): [4.0e6, 4.1e6, 3.9e6, 4.0e6, 4.05e6, 3.95e6],
             ("pv_ticket", 1): [3.6e6, 3.7e6, 3.5e6, 3.6e6, 3.65e6, 3.55e6],
             ("ticket", 8): [1e3, 1.1e3, 0.9e3, 5e4, 5.1e4, 4.9e4],
             ("pv_ticket", 8): [2e5, 2.1e5, 1.9e5, 2e5, 2.05e5, 1.95e5]}
    template = {(e["variant"], e["threads"]): e for e in doc["benchmarks"]}
    entries = []
    for (variant, threads), values in rates.items():
        for i, rate in enumerate(values):
            e = copy.deepcopy(template[(variant, threads)])
            e.update(repetition_index=i, ops_per_sec=rate, oversubscribed=threads > 2)
            entries.append(e)
        median = copy.deepcopy(entries[-1])
        stability = "bimodal: 3 of 6 repetitions near 1e+03, 3 near 5e+04" \
            if (variant, threads) == ("ticket", 8) else "stable"
        median.update(run_type="aggregate", aggregate_name="median",
                      name=median["name"] + "_median", stability=stability)
        entries.append(median)
    doc["benchmarks"] = entries
    path = os.path.join(directory, "six.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    return path


class ReportRegimeTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.path = synthetic_results(self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_speedups_are_split_by_regime_with_intervals(self):
        rows = speedup_rows(collect_points(load_all([self.path])))
        self.assertEqual([(family, over) for family, over, _ in rows],
                         [("spinlock", False), ("spinlock", True)])
        within = rows[0][2]
        self.assertEqual(within[3], "1")
        self.assertEqual(within[4], "0.9x")
        self.assertNotEqual(within[5], "-")  # an interval
        self.assertIn("bimodal", rows[1][2][6])

    def test_a_point_without_a_verdict_is_not_called_stable(self):
        points = collect_points(load_all([FIXTURE]))  # one or two repetitions, no median entry
        rows = speedup_rows(points)
        self.assertTrue(rows)
        for _, _, row in rows:
            self.assertNotEqual(row[6], "stable")
            self.assertIn("not judged", row[6])

    def test_first_screen_has_the_summary_contents_and_marks(self):
        index = build_report([self.path], os.path.join(self.dir, "report"))
        with open(index, encoding="utf-8") as f:
            page = f.read()
        self.assertLess(page.index("Summary"), page.index("Contents"))
        self.assertLess(page.index("Contents"), page.index("spinlock-throughput.png"))
        self.assertIn("Oversubscribed (more threads than CPUs", page)
        self.assertIn('class="unstable"', page)
        self.assertIn("handoff-0.png", page)
        self.assertIn("oversubscribed", page)
        for name in ("handoff-0.png", "spinlock-throughput.png", "spinlock-speedup.png"):
            self.assertGreater(os.path.getsize(os.path.join(self.dir, "report", name)), 0)


if __name__ == "__main__":
    unittest.main()
