"""The results history: change points on series with known answers, the
SQLite store (idempotent, machines apart, refusals), the history gate, and
the command line end to end, on files made from the small fixture."""

import copy
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

import numpy as np

from reports import history
from reports.changepoints import change_points
from reports.gate import judge_against_history
from reports.load import ReportError, load_results
from reports.trend import detect

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "small.json")
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
POINT = "spinlock/ticket/placement:none/threads:8"


def noisy(values, cv, seed):
    rng = np.random.default_rng(seed)
    return list(np.asarray(values, dtype=float) * (1 + rng.normal(0, cv, len(values))))


class ChangePointTest(unittest.TestCase):
    def test_a_step_is_found_where_it_is(self):
        [c] = change_points(noisy([100] * 7 + [75] * 5, 0.03, 1))
        self.assertEqual(c.index, 7)
        self.assertAlmostEqual(c.shift, -0.25, delta=0.05)
        self.assertLess(c.p_value, 0.05)

    def test_a_single_outlier_is_no_change(self):
        series = noisy([100] * 15, 0.03, 2)
        series[7] = 50
        self.assertEqual(change_points(series), [])

    def test_a_slow_drift_is_no_change_point(self):
        self.assertEqual(change_points(noisy(np.linspace(100, 70, 20), 0.01, 3)), [])

    def test_noise_alone_is_no_change(self):
        for seed in range(20):
            self.assertEqual(change_points(noisy([100] * 12, 0.08, seed)), [], seed)


class HistoryTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.db_path = os.path.join(self.dir, "history.db")
        with open(FIXTURE, encoding="utf-8") as f:
            self.fixture = json.load(f)
        # Four locks at each thread count, so a run's common factor has
        # points enough to be told from one lock's change.
        extra = []
        for e in self.fixture["benchmarks"]:
            if e["variant"] in ("ticket", "pv_ticket"):
                for twin in ("mcs", "ck_ticket"):
                    if e["variant"] == "ticket":
                        copy_ = copy.deepcopy(e)
                        for key in ("name", "run_name"):
                            copy_[key] = copy_[key].replace("/ticket/", f"/{twin}/")
                        copy_["variant"] = twin
                        extra.append(copy_)
        self.fixture["benchmarks"] += extra

    def tearDown(self):
        shutil.rmtree(self.dir)

    def results(self, index, scale=1.0, host="fixture", commit=None, machine_speed=1.0):
        """A results file: the fixture as run `index` on `host`, POINT's
        throughput scaled, and every point's by machine_speed."""
        doc = copy.deepcopy(self.fixture)
        doc["context"]["host_name"] = host
        doc["context"]["date"] = f"2026-11-{index + 1:02d}T09:00:00+00:00"
        doc["context"]["lockbench"]["git_revision"] = commit or f"{index:07x}"
        for e in doc["benchmarks"]:
            if "ops_per_sec" in e:
                e["ops_per_sec"] *= machine_speed * (scale if e["run_name"] == POINT else 1.0)
        path = os.path.join(self.dir, f"{host}-{index}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        return path

    def test_adding_a_file_twice_changes_nothing(self):
        db = history.connect(self.db_path)
        path = self.results(0)
        self.assertEqual(history.add(db, path, "main"), "added")
        self.assertEqual(history.add(db, path, "main"), "already in the history")
        self.assertEqual(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0], 1)
        self.assertEqual(db.execute("SELECT COUNT(*) FROM points").fetchone()[0], 9)

    def test_a_run_added_while_it_was_written_is_updated(self):
        db = history.connect(self.db_path)
        path = self.results(0)
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        partial = copy.deepcopy(doc)
        partial["benchmarks"] = partial["benchmarks"][:4]
        with open(path, "w", encoding="utf-8") as f:
            json.dump(partial, f)
        history.add(db, path)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        self.assertEqual(history.add(db, path), "updated")
        self.assertEqual(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0], 1)
        self.assertEqual(db.execute("SELECT COUNT(*) FROM points").fetchone()[0], 9)

    def test_machines_are_kept_apart(self):
        db = history.connect(self.db_path)
        for i in range(3):
            history.add(db, self.results(i, host="a"))
            history.add(db, self.results(i, scale=2.0, host="b"))
        both = history.series(db)
        self.assertEqual(len({m for m, _, _ in both}), 2)
        [a] = [k for k in both if k[0].startswith("a ") and k[2] == POINT]
        [b] = [k for k in both if k[0].startswith("b ") and k[2] == POINT]
        self.assertEqual(len(both[a]), 3)
        self.assertAlmostEqual(both[b][0].median, 2 * both[a][0].median)
        only_a = history.series(db, machine=a[0])
        self.assertEqual({m for m, _, _ in only_a}, {a[0]})

    def test_a_step_in_the_history_is_flagged_at_its_run(self):
        db = history.connect(self.db_path)
        for i, scale in enumerate(noisy([1.0] * 7 + [0.75] * 5, 0.02, 5)):
            history.add(db, self.results(i, scale), "main")
        entries = history.series(db)[(history.machine_of(load_results(self.results(0))),
                                      "spinlock", POINT)]
        [c] = change_points([e.median for e in entries])
        self.assertEqual((c.index, entries[c.index].commit), (7, "0000007"))

    def test_a_truncated_database_is_refused(self):
        with open(self.db_path, "wb") as f:
            f.write(b"SQLite format 3\x00" + b"\x00" * 40)
        with self.assertRaises(ReportError) as caught:
            history.connect(self.db_path)
        self.assertIn("not a lockbench history database", str(caught.exception))

    def test_a_file_of_another_schema_is_refused_and_nothing_recorded(self):
        db = history.connect(self.db_path)
        path = self.results(0)
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        doc["context"]["lockbench"]["schema_version"] = 99
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        with self.assertRaises(ReportError):
            history.add(db, path)
        self.assertEqual(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0], 0)

    def test_two_writers_at_once_lose_nothing(self):
        history.connect(self.db_path)
        paths = [self.results(i) for i in range(6)]
        writers = [subprocess.Popen([sys.executable, "-m", "reports", "history", "add", *paths[k::2],
                                     "--db", self.db_path], cwd=ROOT, stdout=subprocess.DEVNULL)
                   for k in range(2)]
        self.assertEqual([w.wait() for w in writers], [0, 0])
        db = sqlite3.connect(self.db_path)
        self.assertEqual(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0], 6)

    def test_the_gate_judges_against_recent_runs(self):
        db = history.connect(self.db_path)
        for i, scale in enumerate(noisy([1.0] * 10, 0.03, 6)):
            history.add(db, self.results(i, scale), "main")
        verdict = {}
        for scale in (0.7, 0.97):
            judged, failed, _ = judge_against_history(
                db, load_results(self.results(20, scale, commit="candidate")), 0.10, 4.0, 10,
                "main")
            verdict[scale] = {j.name: j.verdict for j in judged}[POINT]
            self.assertEqual(failed, [])
        self.assertEqual(verdict, {0.7: "regression", 0.97: "same"})

    def test_oversubscribed_points_are_gated_only_when_asked(self):
        db = history.connect(self.db_path)
        for e in self.fixture["benchmarks"]:
            e["oversubscribed"] = e["threads"] > 2
        for i, scale in enumerate(noisy([1.0] * 10, 0.03, 8)):
            history.add(db, self.results(i, scale), "main")
        candidate = load_results(self.results(20, 0.5, commit="candidate"))
        for gated, expected in ((False, "oversubscribed"), (True, "regression")):
            judged, _, _ = judge_against_history(db, candidate, 0.10, 4.0, 10, "main",
                                                 oversubscribed=gated)
            self.assertEqual({j.name: j.verdict for j in judged}[POINT], expected)

    def test_a_run_slower_for_every_lock_is_the_machine_not_a_regression(self):
        db = history.connect(self.db_path)
        for i, scale in enumerate(noisy([1.0] * 10, 0.03, 9)):
            history.add(db, self.results(i, machine_speed=scale * (0.7 if i % 3 == 0 else 1)),
                        "main")
        verdicts = {}
        for case, args in (("machine", dict(machine_speed=0.7)), ("lock", dict(scale=0.7))):
            judged, _, _ = judge_against_history(
                db, load_results(self.results(20, commit=case, **args)), 0.10, 4.0, 10, "main")
            verdicts[case] = {j.name for j in judged if j.verdict == "regression"}
        self.assertEqual(verdicts, {"machine": set(), "lock": {POINT}})

    def test_a_step_among_slow_runs_is_flagged_at_its_run_and_nowhere_else(self):
        db = history.connect(self.db_path)
        speeds = noisy([1.0] * 12, 0.02, 10)
        for i, speed in enumerate(speeds):
            history.add(db, self.results(i, 0.75 if i >= 7 else 1.0,
                                         machine_speed=speed * (0.7 if i in (1, 4, 8) else 1)),
                        "main")
        series = history.series(db)
        shifts = detect(series, 0.10, 0.05, history.run_factors(series))
        self.assertEqual([(s.name, s.index) for s in shifts], [(POINT, 7)])

    def test_too_little_history_judges_nothing(self):
        db = history.connect(self.db_path)
        history.add(db, self.results(0), "main")
        judged, _, _ = judge_against_history(db, load_results(self.results(1, 0.5)), 0.10, 4.0,
                                             10, "main")
        self.assertEqual({j.verdict for j in judged}, {"too little history"})

    def test_the_command_line_adds_plots_and_gates(self):
        paths = [self.results(i, s) for i, s in enumerate(noisy([1.0] * 6 + [0.7] * 4, 0.02, 7))]
        run = lambda *args: subprocess.run([sys.executable, "-m", "reports", *args], cwd=ROOT,
                                           capture_output=True, text=True)
        added = run("history", "add", *paths[:6], "--db", self.db_path, "--branch", "main")
        self.assertEqual(added.returncode, 0, added.stderr)
        gate = run("compare", "--history", self.db_path, paths[6], "-o",
                   os.path.join(self.dir, "gate"))
        self.assertEqual(gate.returncode, 1, gate.stdout + gate.stderr)
        self.assertIn("REGRESSION", gate.stdout)
        run("history", "add", *paths[6:], "--db", self.db_path, "--branch", "main")
        plot = run("history", "plot", "--db", self.db_path, "-o", os.path.join(self.dir, "trend"))
        self.assertEqual(plot.returncode, 0, plot.stderr)
        self.assertIn(f"change point: {POINT}", plot.stdout)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "trend", "history-spinlock.png")))
        wrong = run("history", "plot", "--db", self.db_path, "-o", self.dir, "--machine", "nope")
        self.assertEqual(wrong.returncode, 2)
        self.assertIn("--machine 'nope'", wrong.stderr)


if __name__ == "__main__":
    unittest.main()
