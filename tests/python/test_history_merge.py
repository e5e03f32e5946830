"""Histories of several machines joined (history merge) and drawn side by
side (arch --history), on two real runs of the same tiny sweep: one on
x86-64, one of the aarch64 build under qemu-user."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

from reports import history
from reports.history_merge import merge_histories
from reports.history_results import latest_runs
from reports.load import ReportError, load_results
from reports.points import collect_points

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures")
X86 = os.path.join(FIXTURES, "arch-x86-64.json")
ARM = os.path.join(FIXTURES, "arch-aarch64.json")
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def report(*args):
    return subprocess.run([sys.executable, "-m", "reports", *args], cwd=ROOT,
                          capture_output=True, text=True)


def contents(path):
    """Every row of a history but the run ids, which merging renumbers."""
    db = sqlite3.connect(path)
    ids = {run_id: (machine, commit, date, config) for run_id, machine, commit, date, config in
           db.execute("SELECT id, machine, commit_hash, date, config FROM runs")}
    rows = {
        "runs": db.execute("SELECT machine, commit_hash, date, config, digest, branch, context"
                           " FROM runs").fetchall(),
        "points": [(ids[r[0]], *r[1:]) for r in db.execute("SELECT * FROM points")],
        "repetitions": [(ids[r[0]], *r[1:]) for r in db.execute("SELECT * FROM repetitions")],
    }
    db.close()
    return {table: sorted(rows[table], key=repr) for table in rows}


class Histories(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def history_of(self, name, *results):
        path = self.path(name)
        db = history.connect(path, create=True)
        for results_path in results:
            history.add(db, results_path, "main")
        db.close()
        return path

    def edited(self, source, name, edit):
        """A copy of a results file, edited (edit(doc) changes it in place)."""
        with open(source, encoding="utf-8") as f:
            doc = json.load(f)
        edit(doc)
        path = self.path(name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        return path

    def version_1_history(self):
        """A history as version 1 wrote it: no context, home or sched."""
        path = self.history_of("old.db", X86)
        db = sqlite3.connect(path)
        with db:
            db.execute("ALTER TABLE runs DROP COLUMN context")
            db.execute("ALTER TABLE points DROP COLUMN home")
            db.execute("ALTER TABLE points DROP COLUMN sched")
            db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        db.close()
        return path


class MergeTest(Histories):
    def test_merging_again_changes_nothing(self):
        x86, arm = self.history_of("x86.db", X86), self.history_of("arm.db", ARM)
        out = self.path("merged.db")
        said = merge_histories([x86, arm], out)
        self.assertEqual([dict(c) for _, c in said], [{"added": 1}, {"added": 1}])
        once = contents(out)
        self.assertEqual(len(once["runs"]), 2)
        self.assertEqual(len(once["points"]), 8)
        said = merge_histories([x86, arm], out)
        self.assertEqual([dict(c) for _, c in said], [{"already in the history": 1}] * 2)
        self.assertEqual(contents(out), once)

    def test_a_history_merged_into_itself_is_unchanged(self):
        both = self.history_of("both.db", X86, ARM)
        before = contents(both)
        said = merge_histories([both, self.history_of("x86.db", X86)], both)
        self.assertEqual(said[0], (both, None))
        self.assertEqual(dict(said[1][1]), {"already in the history": 1})
        self.assertEqual(contents(both), before)

    def test_machines_are_kept_apart(self):
        # The same run as far as commit, date and config go, on another host.
        other = self.edited(X86, "other.json",
                            lambda doc: doc["context"].update(host_name="other-box"))
        out = self.path("merged.db")
        merge_histories([self.history_of("a.db", X86), self.history_of("b.db", other)], out)
        db = history.connect(out)
        self.assertEqual(len(history.machines(db)), 2)
        series = history.series(db)
        self.assertEqual({m for m, _, _ in series}, set(history.machines(db)))
        self.assertTrue(all(len(entries) == 1 for entries in series.values()))

    def test_a_run_that_grew_replaces_the_one_merged_before(self):
        def slower(doc):
            for e in doc["benchmarks"]:
                if "ops_per_sec" in e:
                    e["ops_per_sec"] /= 2
        grown = self.edited(X86, "grown.json", slower)
        out = self.history_of("out.db", X86)
        said = merge_histories([self.history_of("grown.db", grown)], out)
        self.assertEqual(dict(said[0][1]), {"updated": 1})
        self.assertEqual(contents(out), contents(self.path("grown.db")))

    def test_an_input_that_is_not_a_history_is_refused_and_nothing_written(self):
        x86 = self.history_of("x86.db", X86)
        out = self.path("merged.db")
        r = report("history", "merge", x86, X86, "-o", out)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(f"{X86}: not a lockbench history database", r.stderr)
        self.assertFalse(os.path.exists(out))
        before = contents(x86)
        r = report("history", "merge", self.history_of("arm.db", ARM), X86, "-o", x86)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(contents(x86), before)

    def test_a_version_1_input_is_refused_and_upgraded_as_the_output(self):
        old = self.version_1_history()
        out = self.path("merged.db")
        with self.assertRaisesRegex(ReportError, "old.db: history schema version 1"):
            merge_histories([old], out)
        self.assertFalse(os.path.exists(out))
        merge_histories([old], old)
        db = history.connect(old)
        self.assertEqual(db.execute("SELECT value FROM meta WHERE key = 'schema_version'")
                         .fetchall(), [(str(history.HISTORY_VERSION),)])
        self.assertEqual(db.execute("SELECT context FROM runs").fetchall(), [(None,)])
        # Its file added again gives the run its context.
        self.assertEqual(history.add(db, X86, "main"), "updated")
        self.assertEqual(history.add(db, X86, "main"), "already in the history")
        [(context,)] = db.execute("SELECT context FROM runs").fetchall()
        self.assertEqual(json.loads(context)["lockbench"]["arch"], "x86_64")

    def test_the_command_line_merges_and_says_what_it_did(self):
        x86, arm = self.history_of("x86.db", X86), self.history_of("arm.db", ARM)
        out = self.path("merged.db")
        r = report("history", "merge", x86, arm, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"{arm}: 1 added", r.stdout)
        self.assertIn(f"{out}: 2 run(s) of vm / Intel(R) Xeon(R) Processor / aarch64; "
                      "vm / Intel(R) Xeon(R) Processor / x86_64", r.stdout)
        r = report("history", "merge", x86, arm, "-o", out)
        self.assertIn(f"{x86}: 1 already in the history", r.stdout)


class ArchFromHistoryTest(Histories):
    def merged(self):
        out = self.path("merged.db")
        merge_histories([self.history_of("x86.db", X86), self.history_of("arm.db", ARM)], out)
        return out

    def test_the_arch_report_of_a_merged_history_draws_both_machines(self):
        out_dir = self.path("arch")
        r = report("arch", "--history", self.merged(), "-o", out_dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out_dir, "index.html"), encoding="utf-8") as f:
            page = f.read()
        for machine in ("vm (x86_64)", "vm (aarch64)"):
            self.assertIn(f"<td>{machine}</td>", page)
        for figure in ("throughput", "normalised", "speedup"):
            self.assertTrue(os.path.isfile(os.path.join(out_dir, f"arch-spinlock-{figure}.png")))

    def test_a_run_reads_back_as_the_points_of_its_file(self):
        db = history.connect(self.merged())
        from_history = latest_runs(db, "merged.db")
        from_files = [load_results(ARM), load_results(X86)]  # in machine order
        self.assertEqual([rs.context for rs in from_history], [rs.context for rs in from_files])

        def described(result_sets):
            return sorted((p.name, p.family, p.variant, p.kind, p.placement, p.threads,
                           json.dumps(p.params), p.home, p.sched, p.oversubscribed, p.error,
                           list(p.values("ops_per_sec")), [r["handoff_ns"] for r in p.runs])
                          for p in collect_points(result_sets))
        self.assertEqual(described(from_history), described(from_files))

    def test_each_machine_is_drawn_from_its_latest_run(self):
        later = self.edited(X86, "later.json", lambda doc: doc["context"].update(
            date="2027-01-01T00:00:00+00:00"))
        db = history.connect(self.history_of("h.db", later, X86, ARM))
        self.assertEqual(sorted(rs.context["date"] for rs in latest_runs(db, "h.db")),
                         ["2026-12-06T20:29:01+00:00", "2027-01-01T00:00:00+00:00"])

    def test_a_failed_point_comes_back_failed(self):
        def fail(doc):
            for e in doc["benchmarks"]:
                if e["run_name"] == "spinlock/ticket/placement:none/threads:2":
                    e.update(valid=False, error="mutual exclusion violated")
        db = history.connect(self.history_of("h.db", self.edited(X86, "failed.json", fail)))
        [failed] = [p for p in collect_points(latest_runs(db, "h.db")) if not p.valid]
        self.assertEqual((failed.name, failed.error),
                         ("spinlock/ticket/placement:none/threads:2",
                          "mutual exclusion violated"))

    def test_several_configs_need_one_named(self):
        other = self.edited(ARM, "other.json",
                            lambda doc: doc["context"]["lockbench"]["config"].update(name="other"))
        path = self.history_of("h.db", X86, ARM, other)
        r = report("arch", "--history", path, "-o", self.path("arch"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("h.db: runs of 2 configs; allowed: --config NAME, one of", r.stderr)
        self.assertTrue("'quick'" in r.stderr and "'other'" in r.stderr, r.stderr)
        self.assertFalse(os.path.exists(self.path("arch")))
        db = history.connect(path)
        self.assertEqual(len(latest_runs(db, path, "quick")), 2)
        self.assertEqual(len(latest_runs(db, path, "other")), 1)

    def test_runs_recorded_without_their_context_are_named(self):
        old = self.version_1_history()
        merge_histories([self.history_of("arm.db", ARM)], old)  # upgrades it
        r = report("arch", "--history", old, "-o", self.path("arch"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("recorded by history version 1, which kept no context", r.stderr)
        self.assertIn("x86_64, commit df3e619", r.stderr)
        self.assertNotIn("aarch64, commit", r.stderr)


if __name__ == "__main__":
    unittest.main()
