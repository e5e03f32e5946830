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
from reports.gate import GateSettings, judge_against_history, write_history_gate
from reports.load import ReportError, load_results
from reports.machine_state import UNPROBED, MachineStates, PointLevels
from reports.trend import detect, normalized_series, write_trends

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "small.json")
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
POINT = "spinlock/ticket/placement:none/threads:8"
# How much slower each lock runs when the host has moved the vCPUs apart:
# each its own factor, as measured (a ticket lock 0.65x, MCS 0.4x).
FAR_STATE = {"ticket": 0.65, "pv_ticket": 0.7, "mcs": 0.4, "ck_ticket": 0.8,
             "pv_ticket_norecheck": 0.7}
BOTH = (0, 1)  # repetition indexes: the fixture has two


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


class MachineStateTest(unittest.TestCase):
    def test_probes_cluster_into_states_at_their_gaps(self):
        states = MachineStates([38, 41, 36, 43] * 5 + [15.5] * 5 + [210, 225, 198] * 5 +
                               [None, 0])
        self.assertEqual([states.of(p) for p in (15, 40, 215, None)], [0, 1, 2, UNPROBED])

    def test_probes_taken_between_states_do_not_join_them(self):
        states = MachineStates([38] * 500 + [220] * 200 + [55, 80, 115, 170])
        self.assertEqual([states.of(p) for p in (38, 80, 115, 220)], [0, 0, 1, 1])

    def test_a_run_is_valued_as_in_the_usual_state_repetition_by_repetition(self):
        near, far = [(100.0, 40.0)] * 2, [(50.0, 220.0)] * 2
        states = MachineStates([40] * 5 + [220] * 5)
        levels = PointLevels(states, [near] * 4 + [far] * 3)
        self.assertEqual(levels.usual, 0)
        self.assertEqual(levels.normalized([(45.0, 230.0), (90.0, 38.0)]), 90.0)
        # A state seen in fewer than MIN_RUNS runs has no level yet.
        self.assertIsNone(PointLevels(states, [near] * 4 + [far] * 1).normalized(far))

    def test_a_state_in_which_nothing_completed_has_no_level(self):
        states = MachineStates([40] * 5 + [220] * 5)
        stalled = [(0.0, 220.0)] * 2
        levels = PointLevels(states, [[(100.0, 40.0)] * 2] * 3 + [stalled] * 3)
        self.assertIsNone(levels.normalized(stalled))
        self.assertEqual(levels.normalized([(90.0, 40.0)]), 90.0)


class HistoryTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.db_path = os.path.join(self.dir, "history.db")
        with open(FIXTURE, encoding="utf-8") as f:
            self.fixture = json.load(f)
        # Four locks at each thread count, each slowed by its own factor in
        # the far machine state.
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

    def results(self, index, scale=1.0, host="fixture", commit=None, far=()):
        """A results file: the fixture as run `index` on `host`, POINT's
        throughput scaled. Each repetition probes a 40 ns hand-off, or a
        220 ns one where its index is in `far`, which slows every point with
        more than one thread by its lock's own factor (FAR_STATE)."""
        doc = copy.deepcopy(self.fixture)
        doc["context"]["host_name"] = host
        doc["context"]["date"] = f"2026-11-{index + 1:02d}T09:00:00+00:00"
        doc["context"]["lockbench"]["git_revision"] = commit or f"{index:07x}"
        for e in doc["benchmarks"]:
            if "ops_per_sec" not in e:
                continue
            e["ops_per_sec"] *= scale if e["run_name"] == POINT else 1.0
            if e["run_type"] == "iteration":
                in_far = e["repetition_index"] in far
                e["handoff_ns"] = 220.0 if in_far else 40.0
                if in_far and e["threads"] > 1:
                    e["ops_per_sec"] *= FAR_STATE[e["variant"]]
        path = os.path.join(self.dir, f"{host}-{index}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        return path

    def test_adding_a_file_twice_changes_nothing(self):
        db = history.connect(self.db_path, create=True)
        path = self.results(0)
        self.assertEqual(history.add(db, path, "main"), "added")
        self.assertEqual(history.add(db, path, "main"), "already in the history")
        self.assertEqual(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0], 1)
        self.assertEqual(db.execute("SELECT COUNT(*) FROM points").fetchone()[0], 9)

    def test_a_run_added_again_as_a_branch_run_becomes_one(self):
        db = history.connect(self.db_path, create=True)
        path = self.results(0)
        history.add(db, path)
        self.assertEqual(history.add(db, path, "main"), "already in the history; now a run of main")
        self.assertEqual(len(history.series(db, branch="main")), 9)

    def test_a_run_added_while_it_was_written_is_updated(self):
        db = history.connect(self.db_path, create=True)
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
        db = history.connect(self.db_path, create=True)
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
        db = history.connect(self.db_path, create=True)
        for i, scale in enumerate(noisy([1.0] * 7 + [0.75] * 5, 0.02, 5)):
            history.add(db, self.results(i, scale), "main")
        entries = history.series(db)[(history.machine_of(load_results(self.results(0))),
                                      "spinlock", POINT)]
        [c] = change_points([e.median for e in entries])
        self.assertEqual((c.index, entries[c.index].commit), (7, "0000007"))

    def test_two_machines_share_a_plot_by_run_order_or_by_date(self):
        db = history.connect(self.db_path, create=True)
        for i in range(4):
            history.add(db, self.results(2 * i, host="a"))
            history.add(db, self.results(2 * i + 1, host="b"))
        series = history.series(db)
        states = {m: history.machine_states(series, m) for m, _, _ in series}
        for by_date in (False, True):
            out = os.path.join(self.dir, f"trend-{by_date}")
            write_trends(series, out, 0.10, 0.05, states, by_date)
            self.assertGreater(os.path.getsize(os.path.join(out, "history-spinlock.png")), 0)

    def test_a_truncated_database_is_refused(self):
        with open(self.db_path, "wb") as f:
            f.write(b"SQLite format 3\x00" + b"\x00" * 40)
        with self.assertRaises(ReportError) as caught:
            history.connect(self.db_path, create=True)
        self.assertIn("not a lockbench history database", str(caught.exception))

    def test_a_file_of_another_schema_is_refused_and_nothing_recorded(self):
        db = history.connect(self.db_path, create=True)
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
        history.connect(self.db_path, create=True)
        paths = [self.results(i) for i in range(6)]
        writers = [subprocess.Popen([sys.executable, "-m", "reports", "history", "add", *paths[k::2],
                                     "--db", self.db_path], cwd=ROOT, stdout=subprocess.DEVNULL)
                   for k in range(2)]
        self.assertEqual([w.wait() for w in writers], [0, 0])
        db = sqlite3.connect(self.db_path)
        self.assertEqual(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0], 6)

    def test_the_gate_judges_against_recent_runs(self):
        db = history.connect(self.db_path, create=True)
        for i, scale in enumerate(noisy([1.0] * 10, 0.03, 6)):
            history.add(db, self.results(i, scale), "main")
        verdict = {}
        for scale in (0.7, 0.97):
            judged, failed, _, _ = judge_against_history(
                db, load_results(self.results(20, scale, commit="candidate")), GateSettings())
            verdict[scale] = {j.name: j.verdict for j in judged}[POINT]
            self.assertEqual(failed, [])
        self.assertEqual(verdict, {0.7: "regression", 0.97: "same"})

    def test_oversubscribed_points_are_gated_only_when_asked(self):
        db = history.connect(self.db_path, create=True)
        for e in self.fixture["benchmarks"]:
            e["oversubscribed"] = e["threads"] > 2
        for i, scale in enumerate(noisy([1.0] * 10, 0.03, 8)):
            history.add(db, self.results(i, scale), "main")
        candidate = load_results(self.results(20, 0.5, commit="candidate"))
        for gated, expected in ((False, "oversubscribed"), (True, "regression")):
            judged, _, _, _ = judge_against_history(db, candidate,
                                                    GateSettings(oversubscribed=gated))
            self.assertEqual({j.name: j.verdict for j in judged}[POINT], expected)

    def test_a_run_in_another_machine_state_is_the_machine_not_a_regression(self):
        db = history.connect(self.db_path, create=True)
        for i, scale in enumerate(noisy([1.0] * 10, 0.03, 9)):
            history.add(db, self.results(i, scale, far=BOTH if i % 3 == 0 else ()), "main")
        verdicts = {}
        for case, args in (("far state", dict(far=BOTH)), ("lock", dict(scale=0.7)),
                           ("lock in the far state", dict(scale=0.7, far=BOTH)),
                           ("mixed states", dict(far=(0,)))):
            judged, _, _, _ = judge_against_history(
                db, load_results(self.results(20, commit=case, **args)), GateSettings())
            verdicts[case] = {j.name for j in judged if j.verdict == "regression"}
        self.assertEqual(verdicts, {"far state": set(), "lock": {POINT},
                                    "lock in the far state": {POINT}, "mixed states": set()})

    def test_a_state_the_history_has_too_few_runs_of_judges_nothing(self):
        db = history.connect(self.db_path, create=True)
        for i, scale in enumerate(noisy([1.0] * 10, 0.03, 11)):
            history.add(db, self.results(i, scale, far=BOTH if i == 4 else ()), "main")
        judged, _, _, _ = judge_against_history(
            db, load_results(self.results(20, 0.5, far=BOTH)), GateSettings())
        self.assertEqual({j.name: j.verdict for j in judged}[POINT],
                         "machine state not in the history")

    def test_a_step_among_far_runs_is_flagged_at_its_run_and_nowhere_else(self):
        db = history.connect(self.db_path, create=True)
        for i, scale in enumerate(noisy([1.0] * 7 + [0.75] * 5, 0.02, 10)):
            history.add(db, self.results(i, scale, far=BOTH if i in (1, 4, 8, 10) else ()),
                        "main")
        series = history.series(db)
        machine = history.machine_of(load_results(self.results(0)))
        states = {machine: history.machine_states(series, machine)}
        shifts = detect(series, normalized_series(series, states), 0.10, 0.05)
        self.assertEqual([(s.name, s.index) for s in shifts], [(POINT, 7)])
        # Unaware of the state, the far runs hide the step and make changes of their own.
        raw = change_points([e.median for e in series[(machine, "spinlock", POINT)]])
        self.assertNotEqual([c.index for c in raw], [7])

    def test_a_regression_counts_only_if_measuring_it_again_shows_it(self):
        db = history.connect(self.db_path, create=True)
        for i, scale in enumerate(noisy([1.0] * 10, 0.03, 12)):
            history.add(db, self.results(i, scale), "main")
        candidate = load_results(self.results(20, 0.6, commit="candidate"))
        verdicts = {}
        for case, again, far in (("a disturbance", 1.0, ()), ("the code", 0.6, ()),
                                 ("a state the history lacks", 0.6, BOTH)):
            recheck = load_results(self.results(21, again, commit="candidate", far=far))
            judged, _, _, _ = judge_against_history(db, candidate, GateSettings(), [recheck])
            verdicts[case] = {j.name: j.verdict for j in judged}[POINT]
        self.assertEqual(verdicts, {"a disturbance": "not confirmed", "the code": "regression",
                                    "a state the history lacks": "not confirmed"})

    def test_a_regression_that_fails_when_measured_again_is_a_failure(self):
        db = history.connect(self.db_path, create=True)
        for i, scale in enumerate(noisy([1.0] * 10, 0.03, 14)):
            history.add(db, self.results(i, scale), "main")
        with open(self.results(21, 0.6), encoding="utf-8") as f:
            doc = json.load(f)
        for e in doc["benchmarks"]:
            if e["run_name"] == POINT:
                e.update(valid=False, error="INV1 lost a wakeup")
        failing = os.path.join(self.dir, "failing.json")
        with open(failing, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        _, failed, _, _ = judge_against_history(db, load_results(self.results(20, 0.6)),
                                                GateSettings(), [load_results(failing)])
        self.assertEqual(failed, [(POINT, "measured again: INV1 lost a wakeup")])

    def test_the_gate_names_the_selection_that_measures_a_regression_again(self):
        db = history.connect(self.db_path, create=True)
        for i, scale in enumerate(noisy([1.0] * 10, 0.03, 13)):
            history.add(db, self.results(i, scale), "main")
        out = os.path.join(self.dir, "gate")
        gate = write_history_gate(db, self.db_path, load_results(self.results(20, 0.6)), out,
                                  GateSettings())
        self.assertTrue(gate.regressed)
        with open(os.path.join(out, "recheck.txt"), encoding="utf-8") as f:
            [line] = f.read().splitlines()
        self.assertTrue(line.startswith("--family spinlock --variant ticket --threads 8 "
                                        "--placement none --home first --sched other --set "),
                        line)

    def test_the_gate_compares_runs_of_the_candidates_config_only(self):
        db = history.connect(self.db_path, create=True)
        for i, scale in enumerate(noisy([1.0] * 10, 0.03, 15)):
            history.add(db, self.results(i, scale), "main")
            with open(self.results(30 + i, 2.0), encoding="utf-8") as f:
                doc = json.load(f)
            doc["context"]["lockbench"]["config"]["name"] = "longer windows"
            other = os.path.join(self.dir, f"other-{i}.json")
            with open(other, "w", encoding="utf-8") as f:
                json.dump(doc, f)
            history.add(db, other, "main")
        judged, _, _, _ = judge_against_history(db, load_results(self.results(20)),
                                                GateSettings())
        self.assertEqual({j.name: j.verdict for j in judged}[POINT], "same")

    def test_every_run_counts_with_what_it_measured_in_each_state(self):
        # Five runs split 3:2 between the states: each point is judged in
        # either state, and in both at once, and a cut lock is caught so.
        db = history.connect(self.db_path, create=True)
        far_of = [(), BOTH, (), BOTH, ()]
        for i, scale in enumerate(noisy([1.0] * 5, 0.03, 16)):
            history.add(db, self.results(i, scale, far=far_of[i]), "main")
        for far in ((), BOTH, (0,)):
            for scale, expected in ((1.0, "same"), (0.85, "regression")):
                judged, _, _, _ = judge_against_history(
                    db, load_results(self.results(20, scale, commit="c", far=far)),
                    GateSettings())
                self.assertEqual({j.verdict for j in judged if j.name != POINT},
                                 {"same", "failed here and in the history"}, far)
                self.assertEqual({j.name: j.verdict for j in judged}[POINT], expected,
                                 (far, scale))

    def test_a_run_in_a_state_no_other_run_saw_leaves_the_rest_judged(self):
        db = history.connect(self.db_path, create=True)
        for i, scale in enumerate(noisy([1.0] * 5, 0.03, 18)):
            history.add(db, self.results(i, scale, far=BOTH if i == 2 else ()), "main")
        judged, _, _, _ = judge_against_history(db, load_results(self.results(20, 0.85)),
                                                GateSettings())
        self.assertEqual({j.name: j.verdict for j in judged}[POINT], "regression")
        self.assertEqual({j.history_runs for j in judged if j.judged}, {4})

    def test_the_verdict_says_how_many_points_were_judged(self):
        db = history.connect(self.db_path, create=True)
        for i, scale in enumerate(noisy([1.0] * 5, 0.03, 17)):
            history.add(db, self.results(i, scale), "main")
        candidate = load_results(self.results(20))
        points = len({e["run_name"] for e in candidate.entries})
        gate = write_history_gate(db, self.db_path, candidate, os.path.join(self.dir, "all"),
                                  GateSettings())
        # All but the broken variant's point, which failed in every run.
        self.assertEqual(gate.judged, points - 1)
        self.assertIn(f"**no regression**; **{points - 1} of {points} points within the CPUs "
                      f"judged ({(points - 1) / points:.0%})**", gate.text)
        self.assertIn("- 1 points failed their invariants here and have no valid run", gate.text)
        self.assertNotIn("🔴", gate.text)
        # Measured in a state the history never saw: judged by nothing, in red.
        unseen = load_results(self.results(21, far=BOTH))
        gate = write_history_gate(db, self.db_path, unseen, os.path.join(self.dir, "few"),
                                  GateSettings())
        self.assertIn("🔴", gate.text)
        with open(os.path.join(self.dir, "few", "index.html"), encoding="utf-8") as f:
            self.assertIn("color:#c00", f.read())

    def test_too_little_history_judges_nothing(self):
        db = history.connect(self.db_path, create=True)
        history.add(db, self.results(0), "main")
        judged, _, _, _ = judge_against_history(db, load_results(self.results(1, 0.5)),
                                                GateSettings())
        self.assertEqual({j.verdict for j in judged},
                         {"too little history", "failed here and in the history"})

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
        by_date = run("history", "plot", "--db", self.db_path, "-o",
                      os.path.join(self.dir, "by-date"), "--x", "date")
        self.assertEqual(by_date.returncode, 0, by_date.stderr)
        self.assertIn(f"change point: {POINT}", plot.stdout)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "trend", "history-spinlock.png")))
        wrong = run("history", "plot", "--db", self.db_path, "-o", self.dir, "--machine", "nope")
        self.assertEqual(wrong.returncode, 2)
        self.assertIn("--machine 'nope'", wrong.stderr)


if __name__ == "__main__":
    unittest.main()
