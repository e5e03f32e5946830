"""The report package on a small hand-checked fixture (tests/fixtures/small.json)."""

import json
import os
import shutil
import tempfile
import unittest

from reports.cli import build_report, main
from reports.load import ReportError, load_all
from reports.points import collect_points
from reports.scaling import Axis, FamilyPlot
from reports.summary import markdown

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "small.json")


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_points_and_medians(self):
        points = {(p.variant, p.threads): p for p in collect_points(load_all([FIXTURE]))}
        self.assertEqual(len(points), 5)
        self.assertAlmostEqual(points[("ticket", 1)].median("ops_per_sec"), 4.1e6)
        self.assertAlmostEqual(points[("ticket", 8)].median("ops_per_sec"), 2.0e3)
        self.assertEqual(points[("ticket", 8)].spread("ops_per_sec"), (1.0e3, 1.0e3))
        self.assertAlmostEqual(points[("pv_ticket", 8)].median("latency_ns", "p99"), 450)

    def test_failed_point_is_a_failure_not_a_number(self):
        points = collect_points(load_all([FIXTURE]))
        broken = [p for p in points if p.variant == "pv_ticket_norecheck"][0]
        self.assertFalse(broken.valid)
        self.assertIn("watchdog", broken.error)
        row = [line for line in markdown(points).splitlines() if "pv_ticket_norecheck" in line][0]
        self.assertIn("FAILED: watchdog", row)
        self.assertNotIn("e3", row)

    def test_report_files(self):
        index = build_report([FIXTURE], self.dir)
        figures = ["throughput", "speedup", "fairness", "latency", "blocks", "kicks"]
        names = ["index.html", "summary.md"] + [f"spinlock-{figure}.{ext}" for figure in figures
                                                for ext in ("png", "svg")]
        for name in names:
            self.assertTrue(os.path.getsize(os.path.join(self.dir, name)) > 0, name)
        with open(index, encoding="utf-8") as f:
            page = f.read()
        for figure in figures:
            self.assertIn(f"spinlock-{figure}.png", page)
        self.assertIn("Fixture CPU", page)
        self.assertIn("FAILED", page)

    def test_counter_figures_come_from_the_family_description(self):
        # A file written before families described themselves: no counter
        # figures, everything else as usual.
        with open(FIXTURE, encoding="utf-8") as f:
            doc = json.load(f)
        del doc["context"]["lockbench"]["families"]
        path = self.write("old.json", json.dumps(doc))
        out = os.path.join(self.dir, "old-report")
        build_report([path], out)
        self.assertTrue(os.path.exists(os.path.join(out, "spinlock-throughput.png")))
        self.assertFalse(os.path.exists(os.path.join(out, "spinlock-blocks.png")))

    def test_truncated_file_is_refused_by_name(self):
        with open(FIXTURE, encoding="utf-8") as f:
            path = self.write("cut.json", f.read()[:500])
        with self.assertRaises(ReportError) as caught:
            load_all([path])
        self.assertIn("cut.json", str(caught.exception))
        self.assertEqual(main([path, "-o", os.path.join(self.dir, "out")]), 2)

    def test_foreign_json_is_refused(self):
        path = self.write("gbench.json", json.dumps({"context": {}, "benchmarks": []}))
        with self.assertRaises(ReportError) as caught:
            load_all([path])
        self.assertIn("not a lockbench results file", str(caught.exception))

    def test_a_version_1_file_reads_its_roles_as_kinds(self):
        with open(FIXTURE, encoding="utf-8") as f:
            doc = json.load(f)
        doc["context"]["lockbench"]["schema_version"] = 1
        for e in doc["benchmarks"]:
            e["role"] = e.pop("kind")
        path = self.write("version1.json", json.dumps(doc))
        kinds = {(p.variant, p.threads): p.kind for p in collect_points(load_all([path]))}
        self.assertEqual(kinds, {(p.variant, p.threads): p.kind
                                 for p in collect_points(load_all([FIXTURE]))})
        self.assertEqual(kinds[("ticket", 1)], "global")

    def test_a_workload_that_times_nothing_has_no_latency_figure(self):
        with open(FIXTURE, encoding="utf-8") as f:
            doc = json.load(f)
        for e in doc["benchmarks"]:
            if "latency_ns" in e:
                e["latency_ns"] = {key: 0 for key in e["latency_ns"]}
        path = self.write("untimed.json", json.dumps(doc))
        build_report([path], self.dir)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "spinlock-throughput.png")))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "spinlock-latency.png")))

    def test_a_sweep_at_one_thread_count_is_drawn_over_its_parameter(self):
        with open(FIXTURE, encoding="utf-8") as f:
            doc = json.load(f)
        # The same measurements, as if taken at 8 threads with cs_ns 50 and 500.
        for e in doc["benchmarks"]:
            e["params"] = {"cs_ns": 50 if e["threads"] == 1 else 500}
            e["name"] = e["run_name"] = f'{e["variant"]}/cs_ns:{e["params"]["cs_ns"]}'
            e["threads"] = 8
            e["oversubscribed"] = True
        path = self.write("over_cs.json", json.dumps(doc))
        points = [p for p in collect_points(load_all([path])) if p.family == "spinlock"]
        plot = FamilyPlot("spinlock", points)
        self.assertEqual(plot.axes, [Axis("none", "cs_ns", 8)])
        [panel] = plot.speedup_panels()
        self.assertEqual(panel.xlabel, "cs_ns")
        self.assertEqual(panel.title, "placement: none, threads: 8 (oversubscribed)")
        [curve] = panel.curves
        self.assertEqual(curve.xs, [50, 500])
        self.assertEqual(curve.label, "pv_ticket (scalable) / global")

    def test_other_schema_version_is_refused(self):
        with open(FIXTURE, encoding="utf-8") as f:
            doc = json.load(f)
        doc["context"]["lockbench"]["schema_version"] = 99
        path = self.write("future.json", json.dumps(doc))
        with self.assertRaises(ReportError) as caught:
            load_all([path])
        self.assertIn("schema version 99; this report reads versions 1, 2", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
