"""The report package on a small hand-checked fixture (tests/fixtures/small.json)."""

import copy
import json
import os
import shutil
import tempfile
import unittest

from reports.cli import build_report, main
from reports.figures import BOUNDARY_COLOR, boundary_label, panel_figure, plt
from reports.gate import selection_args
from reports.headline import html_summary, markdown_summary, speedup_rows
from reports.load import ReportError, load_all
from reports.machine import thread_boundaries
from reports.points import collect_points
from reports.scaling import SCHEDULER_FIGURES, Axis, FamilyPlot, _normalised_throughput
from reports.summary import markdown

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "small.json")
# What files written before the harness recorded them lack.
NEWER_CONTEXT = ("thread_boundaries",)
NEWER_ENTRY = ("home", "sched", "sched_slice", "scheduler", "hardware", "memory_nodes")


def fixture():
    with open(FIXTURE, encoding="utf-8") as f:
        return json.load(f)


def older(doc):
    """The document as an older harness wrote it: without the newer fields."""
    doc = copy.deepcopy(doc)
    for key in NEWER_CONTEXT:
        del doc["context"]["lockbench"]["topology"][key]
    for e in doc["benchmarks"]:
        for key in NEWER_ENTRY:
            e.pop(key, None)
    return doc


def oversubscribed(doc):
    """The fixture as measured on its 2 CPUs: more threads oversubscribe."""
    for e in doc["benchmarks"]:
        e["oversubscribed"] = e["threads"] > 2
    return doc


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

    def test_a_curve_of_one_count_has_no_relative_throughput(self):
        doc = fixture()
        doc["benchmarks"] = [e for e in doc["benchmarks"]
                             if e.get("variant") != "ticket" or e["threads"] == 2]
        path = self.write("one_count.json", json.dumps(doc))
        points = [p for p in collect_points(load_all([path])) if p.family == "spinlock"]
        [panel] = FamilyPlot("spinlock", points).metric_panels(_normalised_throughput)
        labels = [c.label for c in panel.curves]
        self.assertNotIn("ticket (global)", labels)
        self.assertIn("pv_ticket (scalable)", labels)
        [pv] = [c for c in panel.curves if c.label == "pv_ticket (scalable)"]
        self.assertEqual(pv.ys[0], 1.0)

    def test_other_schema_version_is_refused(self):
        with open(FIXTURE, encoding="utf-8") as f:
            doc = json.load(f)
        doc["context"]["lockbench"]["schema_version"] = 99
        path = self.write("future.json", json.dumps(doc))
        with self.assertRaises(ReportError) as caught:
            load_all([path])
        self.assertIn("schema version 99; this report reads versions 1, 2", str(caught.exception))



class MachineBoundariesTest(unittest.TestCase):
    """The thread counts at which a compact placement fills a level of the
    machine, marked on the figures over threads."""

    BOX = [{"threads": 2, "what": "one core's SMT siblings"},
           {"threads": 4, "what": "one L3 cache, one package, one NUMA node"},
           {"threads": 8, "what": "all PUs"},
           {"threads": 16, "what": "beyond the fixture's thread counts"}]

    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def results(self, name, doc):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        return load_all([path])[0]

    def box(self, summary=None):
        doc = fixture()
        topology = doc["context"]["lockbench"]["topology"]
        topology["thread_boundaries"] = self.BOX
        topology["summary"] = summary or topology["summary"]
        return doc

    def test_the_boundaries_of_a_file_and_none_of_an_older_one(self):
        self.assertEqual(thread_boundaries(load_all([FIXTURE])), [
            (2, "one L3 cache, one package, one NUMA node, as many threads as cores, all PUs")])
        self.assertEqual(thread_boundaries([self.results("old.json", older(fixture()))]), [])

    def test_files_of_one_machine_share_them_and_of_two_machines_mark_none(self):
        box = self.results("box.json", self.box())
        old = self.results("old.json", older(fixture()))  # the same summary: the same box
        other = self.results("other.json", self.box("2 packages, 2 NUMA nodes, 4 cores, 8 PUs"))
        self.assertEqual(len(thread_boundaries([old, box])), 4)
        self.assertEqual(thread_boundaries([box, other]), [])
        self.assertEqual(thread_boundaries([box, self.results("vm.json", fixture())]), [])

    def marks(self, result_set):
        """The x of the boundary lines and the labels of a throughput figure."""
        points = collect_points([result_set])
        plot = FamilyPlot("spinlock", points, boundaries=thread_boundaries([result_set]))
        panels = plot.metric_panels(lambda p, _: p.values("ops_per_sec"))
        fig = panel_figure("throughput", "ops/s", panels)
        [ax] = fig.axes
        lines = sorted(line.get_xdata()[0] for line in ax.get_lines()
                       if line.get_color() == BOUNDARY_COLOR)
        labels = [t.get_text() for t in ax.texts]
        plt.close(fig)
        return lines, labels

    def test_boundaries_within_the_thread_counts_are_marked(self):
        lines, labels = self.marks(self.results("box.json", self.box()))
        self.assertEqual(lines, [2, 4, 8])  # 16: beyond the 8 threads measured
        self.assertEqual(labels, ["2: one core's SMT siblings",
                                  "4: one L3 cache,\none package, one NUMA node",
                                  "8: all PUs"])

    def test_an_older_file_has_no_marks(self):
        self.assertEqual(self.marks(self.results("old.json", older(fixture()))), ([], []))

    def test_a_long_label_is_broken_between_levels(self):
        self.assertEqual(boundary_label(2, "one L3 cache, one package, one NUMA node, "
                                           "as many threads as cores, all PUs"),
                         "2: one L3 cache,\none package, one NUMA node,\n"
                         "as many threads as cores,\nall PUs")


class SchedulerFiguresTest(unittest.TestCase):
    """What the OS did to the oversubscribed points' threads, drawn beside
    their throughput."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def report(self, doc):
        """{figure file: its place in the page} of the report of doc."""
        path = os.path.join(self.dir, "results.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        out = os.path.join(self.dir, "report")
        with open(build_report([path], out), encoding="utf-8") as f:
            page = f.read()
        names = [n for n in sorted(os.listdir(out)) if n.endswith(".png")]
        return {n: page.index(n) for n in names if n in page}

    def medians(self, doc, figure):
        """{(variant, threads): median} the figure draws."""
        values_of = {name: values for name, _, _, values in SCHEDULER_FIGURES}[figure]
        path = os.path.join(self.dir, "results.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        plot = FamilyPlot("spinlock", collect_points(load_all([path])))
        [panel] = plot.metric_panels(values_of, only=lambda p: p.oversubscribed)
        return {(c.label.split()[0], x): y for c in panel.curves for x, y in zip(c.xs, c.ys)}

    def test_switches_and_migrations_follow_the_throughput_figure(self):
        figures = self.report(oversubscribed(fixture()))
        order = sorted(figures, key=figures.get)
        self.assertEqual(order[:3], ["spinlock-throughput.png", "spinlock-scheduler-switches.png",
                                     "spinlock-scheduler-migrations.png"])

    def test_the_medians_of_the_oversubscribed_points(self):
        doc = oversubscribed(fixture())
        # ticket at 8 threads: 1500 switches over 1000 operations, 2400 over 3000.
        self.assertEqual(self.medians(doc, "scheduler-switches"),
                         {("ticket", 8): 1.15, ("pv_ticket", 8): (0.8 + 0.95) / 2})
        # pv_ticket's second repetition could not count its migrations.
        self.assertEqual(self.medians(doc, "scheduler-migrations"),
                         {("ticket", 8): 100.0, ("pv_ticket", 8): 300.0})

    def test_no_scheduler_figure_without_what_it_draws(self):
        not_counted = oversubscribed(fixture())
        for e in not_counted["benchmarks"]:
            if "scheduler" in e:
                e["scheduler"] = "not available"
        for doc in (older(oversubscribed(fixture())), not_counted, fixture()):
            figures = self.report(doc)
            self.assertIn("spinlock-throughput.png", figures)
            self.assertNotIn("spinlock-scheduler-switches.png", figures)
            self.assertNotIn("spinlock-scheduler-migrations.png", figures)


class HomeTest(unittest.TestCase):
    """Points that differ only in where their shared state lives are
    different points, told apart wherever points are listed or drawn."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        doc = fixture()
        far = [copy.deepcopy(e) for e in doc["benchmarks"] if e["valid"]]
        for e in far:  # the same points with their shared state on another node: slower
            e["home"] = "far"
            e["name"] = e["run_name"] = e["run_name"].replace("/placement:",
                                                              "/home:far/placement:")
            e["ops_per_sec"] /= 2 if e["variant"] == "ticket" else 4
        doc["benchmarks"] += far
        path = os.path.join(self.dir, "homes.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        self.points = collect_points(load_all([path]))

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_each_home_is_its_own_point_and_curve(self):
        self.assertEqual(len(self.points), 9)  # the fixture's 5, and 4 valid ones at home:far
        plot = FamilyPlot("spinlock", self.points)
        [panel] = plot.metric_panels(lambda p, _: p.values("ops_per_sec"))
        curves = {c.label: c.ys for c in panel.curves}
        self.assertEqual(sorted(curves), ["pv_ticket (scalable) home=far",
                                          "pv_ticket (scalable) home=first",
                                          "ticket (global) home=far", "ticket (global) home=first"])
        self.assertEqual(curves["ticket (global) home=far"], [2.05e6, 1.0e3])

    def test_speedups_pair_points_of_the_same_home(self):
        [panel] = FamilyPlot("spinlock", self.points).speedup_panels()
        ratios = {c.label: c.ys for c in panel.curves}
        first = ratios["pv_ticket (scalable) home=first / global"]
        far = ratios["pv_ticket (scalable) home=far / global"]
        self.assertEqual(far, [r / 2 for r in first])  # pv_ticket lost 4x, ticket 2x
        # The headline's rows: the fixture's parameters are its family's defaults.
        self.assertEqual(sorted(row[1] for _, _, row in speedup_rows(self.points)),
                         ["-", "-", "home:far", "home:far"])

    def test_tables_and_selections_name_the_home(self):
        rows = [line for line in markdown(self.points).splitlines() if "home:far" in line]
        self.assertEqual(len(rows), 4)
        far = [p for p in self.points if p.home == "far"][0]
        self.assertIn("--home far", " ".join(selection_args(far)))

    def test_an_older_file_has_its_points_at_the_default_home(self):
        path = os.path.join(self.dir, "old.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(older(fixture()), f)
        points = collect_points(load_all([path]))
        self.assertEqual({p.home for p in points}, {"first"})
        self.assertEqual({p.sched for p in points}, {"other"})
        self.assertEqual(FamilyPlot("spinlock", points).varying, [])


class SchedTest(unittest.TestCase):
    """Points run as SCHED_RR are points of their own, and the tables say
    which policy each oversubscribed point ran under."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        doc = oversubscribed(fixture())
        rr = [copy.deepcopy(e) for e in doc["benchmarks"] if e["valid"]]
        for e in rr:
            e["sched"] = "rr"
            e["name"] = e["run_name"] = e["run_name"].replace("/placement:",
                                                              "/sched:rr/placement:")
        doc["benchmarks"] += rr
        path = os.path.join(self.dir, "sched.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        self.points = collect_points(load_all([path]))

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_each_policy_is_its_own_curve(self):
        [panel] = FamilyPlot("spinlock", self.points).metric_panels(
            lambda p, _: p.values("ops_per_sec"))
        self.assertIn("ticket (global) sched=rr", {c.label for c in panel.curves})

    def test_the_regime_names_the_policy(self):
        table = markdown(self.points)
        self.assertIn("| oversubscribed, sched rr |", table)
        self.assertIn("| oversubscribed, sched other |", table)
        self.assertIn("| within CPUs, sched rr |", table)
        self.assertIn("| within CPUs |", table)
        rr = [p for p in self.points if p.sched == "rr"][0]
        self.assertIn("--sched rr", " ".join(selection_args(rr)))


class UncheckedBuildTest(unittest.TestCase):
    """A file from a build with the in-window checks compiled out is drawn,
    but gives no headline ratio, and the summary says why."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def points(self, checks):
        doc = fixture()
        doc["context"]["lockbench"]["checks"] = checks
        path = os.path.join(self.dir, f"checks-{checks}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        return collect_points(load_all([path]))

    def test_no_headline_from_an_unchecked_build(self):
        self.assertTrue(speedup_rows(self.points("on")))
        unchecked = self.points("off")
        self.assertEqual(speedup_rows(unchecked), [])
        for summary in (html_summary(unchecked), markdown_summary(unchecked)):
            self.assertIn("LOCKBENCH_CHECKS=OFF", summary)
            self.assertIn("checks-off.json", summary)
        self.assertNotIn("LOCKBENCH_CHECKS", markdown_summary(self.points("on")))


if __name__ == "__main__":
    unittest.main()
