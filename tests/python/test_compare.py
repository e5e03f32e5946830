"""compare and arch on fixtures derived from tests/fixtures/small.json: the
significance decisions on known samples, the exit status of compare, points
present in one file only, and the arch page."""

import copy
import json
import math
import os
import shutil
import tempfile
import unittest

from reports.cli import main
from reports.compare import compare_sets, judge
from reports.load import load_results

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "small.json")
STEADY = "spinlock/pv_ticket/placement:none/threads:8"
# Five repetitions per point: the fixture's first, scaled by these factors.
SPREAD = [1.0, 1.01, 0.99, 1.02, 0.98]


def five_repetitions():
    """The fixture with every point measured five times, 2% apart at most."""
    with open(FIXTURE, encoding="utf-8") as f:
        doc = json.load(f)
    entries, seen = [], set()
    for e in doc["benchmarks"]:
        if e["run_type"] != "iteration" or e["run_name"] in seen:
            continue
        seen.add(e["run_name"])
        for i, factor in enumerate(SPREAD):
            rep = copy.deepcopy(e)
            rep["repetition_index"] = i
            if rep["valid"]:
                rep["ops_per_sec"] *= factor
                rep["latency_ns"]["p99"] *= factor
            entries.append(rep)
    doc["benchmarks"] = entries
    return doc


class JudgeTest(unittest.TestCase):
    BASE = [100.0, 101.0, 99.0, 102.0, 98.0]

    def test_the_same_samples_are_the_same(self):
        change, p, verdict = judge(self.BASE, self.BASE, True, 0.10, 0.05)
        self.assertEqual((change, verdict), (0.0, "same"))
        self.assertAlmostEqual(p, 1.0)

    def test_a_30_percent_drop_in_five_repetitions_is_a_regression(self):
        change, p, verdict = judge(self.BASE, [v * 0.7 for v in self.BASE], True, 0.10, 0.05)
        self.assertAlmostEqual(change, -0.3)
        self.assertAlmostEqual(p, 2 / 252)  # every candidate below every baseline value
        self.assertEqual(verdict, "regression")

    def test_a_30_percent_rise_is_an_improvement(self):
        self.assertEqual(judge(self.BASE, [v * 1.3 for v in self.BASE], True, 0.1, 0.05)[2],
                         "improvement")

    def test_three_repetitions_cannot_be_significant(self):
        base = self.BASE[:3]
        change, p, verdict = judge(base, [v * 0.5 for v in base], True, 0.10, 0.05)
        self.assertAlmostEqual(p, 0.1)  # the smallest two-sided p for 3 against 3
        self.assertEqual(verdict, "inconclusive")

    def test_one_repetition_is_not_tested(self):
        change, p, verdict = judge([100.0], [50.0], True, 0.10, 0.05)
        self.assertTrue(math.isnan(p))
        self.assertEqual(verdict, "inconclusive")

    def test_a_significant_change_within_the_threshold_does_not_count(self):
        self.assertEqual(judge(self.BASE, [v * 0.95 for v in self.BASE], True, 0.10, 0.05)[2],
                         "same")

    def test_a_latency_change_within_the_floor_does_not_count(self):
        # 81 -> 91 ns: one histogram bucket, 12% but 10 ns.
        self.assertEqual(judge([81.0] * 5, [91.0] * 5, False, 0.10, 0.05, floor=100)[2], "same")
        self.assertEqual(judge([810.0] * 5, [910.0] * 5, False, 0.10, 0.05, floor=50)[2],
                         "regression")

    def test_higher_latency_is_a_regression(self):
        self.assertEqual(judge(self.BASE, [v * 1.5 for v in self.BASE], False, 0.10, 0.05)[2],
                         "regression")


class CompareTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.base_doc = five_repetitions()
        self.base = self.write("base.json", self.base_doc)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, name, doc):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        return path

    def compare(self, candidate_path):
        return main(["compare", self.base, candidate_path, "-o", os.path.join(self.dir, "out")])

    def test_a_sweep_against_itself_has_no_regression(self):
        self.assertEqual(self.compare(self.base), 0)
        comparison = compare_sets(load_results(self.base), load_results(self.base), 0.1, 0.05)
        self.assertEqual(comparison.regressions, [])
        self.assertFalse(comparison.regressed)
        for name in ("index.html", "compare.md", "compare-spinlock-throughput.png",
                     "compare-spinlock-latency.svg"):
            self.assertGreater(os.path.getsize(os.path.join(self.dir, "out", name)), 0, name)

    def test_one_point_cut_by_30_percent_is_flagged_alone(self):
        doc = copy.deepcopy(self.base_doc)
        for e in doc["benchmarks"]:
            if e["run_name"] == STEADY:
                e["ops_per_sec"] *= 0.7
        candidate = self.write("cut.json", doc)
        self.assertEqual(self.compare(candidate), 1)
        comparison = compare_sets(load_results(self.base), load_results(candidate), 0.1, 0.05)
        self.assertEqual([(c.name, c.metric) for c in comparison.regressions],
                         [(STEADY, "throughput")])
        with open(os.path.join(self.dir, "out", "compare.md"), encoding="utf-8") as f:
            self.assertIn("REGRESSION", f.read())

    def with_probes(self, name, probes, slowdown=1.0):
        """The baseline with each repetition's hand-off probe set (by
        repetition index); STEADY's repetitions probed over 100 ns slowed."""
        doc = copy.deepcopy(self.base_doc)
        for e in doc["benchmarks"]:
            e["handoff_ns"] = probes[e["repetition_index"]]
            if e["run_name"] == STEADY and e["handoff_ns"] > 100:
                e["ops_per_sec"] *= slowdown
        return self.write(name, doc)

    def test_only_repetitions_in_the_same_machine_state_are_compared(self):
        near = self.with_probes("near.json", [40.0] * 5)
        far = self.with_probes("far.json", [220.0] * 5, slowdown=0.6)
        mixed = self.with_probes("mixed.json", [40.0, 220.0, 40.0, 220.0, 40.0], slowdown=0.6)
        verdicts = {}
        for name, candidate in (("far", far), ("mixed", mixed)):
            comparison = compare_sets(load_results(near), load_results(candidate), 0.1, 0.05)
            verdicts[name] = {c.verdict for c in comparison.changes if c.name == STEADY}
            self.assertEqual(comparison.regressions, [])
        # Mixed: its three near repetitions against the baseline's five.
        self.assertEqual(verdicts, {"far": {"machine state differs"}, "mixed": {"same"}})

    def test_two_mixed_files_are_compared_in_one_state(self):
        mostly_near = self.with_probes("mostly_near.json", [40.0, 40.0, 40.0, 40.0, 220.0], 0.6)
        mostly_far = self.with_probes("mostly_far.json", [40.0, 220.0, 40.0, 220.0, 220.0], 0.6)
        comparison = compare_sets(load_results(mostly_near), load_results(mostly_far), 0.1, 0.05)
        self.assertEqual({c.verdict for c in comparison.changes if c.name == STEADY}, {"same"})

    def test_a_file_without_probes_is_compared_as_measured(self):
        doc = copy.deepcopy(self.base_doc)
        for e in doc["benchmarks"]:
            if e["run_name"] == STEADY:
                e["ops_per_sec"] *= 0.7
        probed = self.with_probes("probed.json", [40.0] * 5)
        comparison = compare_sets(load_results(self.base), load_results(probed), 0.1, 0.05)
        self.assertEqual(comparison.regressions, [])
        cut = self.write("cut_unprobed.json", doc)
        comparison = compare_sets(load_results(probed), load_results(cut), 0.1, 0.05)
        self.assertEqual([(c.name, c.metric) for c in comparison.regressions],
                         [(STEADY, "throughput")])

    def test_points_in_one_file_only_are_listed(self):
        doc = copy.deepcopy(self.base_doc)
        doc["benchmarks"] = [e for e in doc["benchmarks"] if e["run_name"] != STEADY]
        candidate = self.write("fewer.json", doc)
        comparison = compare_sets(load_results(self.base), load_results(candidate), 0.1, 0.05)
        self.assertEqual(comparison.only_baseline, [STEADY])
        self.assertEqual(comparison.only_candidate, [])
        self.assertEqual(self.compare(candidate), 0)
        with open(os.path.join(self.dir, "out", "compare.md"), encoding="utf-8") as f:
            self.assertIn("only in the baseline: " + STEADY, f.read())

    def test_a_point_that_now_fails_is_a_regression(self):
        doc = copy.deepcopy(self.base_doc)
        for e in doc["benchmarks"]:
            if e["run_name"] == STEADY:
                e.update(valid=False, error="INV1 lost a wakeup")
        candidate = self.write("failing.json", doc)
        comparison = compare_sets(load_results(self.base), load_results(candidate), 0.1, 0.05)
        self.assertEqual(comparison.failed, [(STEADY, "INV1 lost a wakeup")])
        self.assertEqual(self.compare(candidate), 1)

    def test_a_foreign_file_is_refused(self):
        foreign = self.write("foreign.json", {"benchmarks": []})
        self.assertEqual(self.compare(foreign), 2)


class ArchTest(unittest.TestCase):
    def test_two_machines_render_side_by_side(self):
        out = tempfile.mkdtemp()
        try:
            x86 = five_repetitions()
            arm = copy.deepcopy(x86)
            arm["context"]["host_name"] = "arm-box"
            arm["context"]["lockbench"].update(arch="aarch64", relax_instruction="isb",
                                               cpu_model="Neoverse-N1")
            arm["context"]["lockbench"]["cache_line"]["hwloc"] = 0  # no cache described
            for e in arm["benchmarks"]:
                if e["valid"]:
                    e["ops_per_sec"] *= 0.5
            paths = []
            for name, doc in (("x86.json", x86), ("arm.json", arm)):
                paths.append(os.path.join(out, name))
                with open(paths[-1], "w", encoding="utf-8") as f:
                    json.dump(doc, f)
            self.assertEqual(main(["arch", *paths, "-o", out]), 0)
            for kind in ("throughput", "normalised", "speedup"):
                self.assertGreater(os.path.getsize(os.path.join(out, f"arch-spinlock-{kind}.png")),
                                   0, kind)
            with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
                page = f.read()
            for text in ("aarch64", "Neoverse-N1", "isb", "arm-box (aarch64)", "not reported"):
                self.assertIn(text, page)
            with self.assertRaises(SystemExit):  # one machine only: a usage error
                main(["arch", paths[0], "-o", out])
        finally:
            shutil.rmtree(out)


if __name__ == "__main__":
    unittest.main()
