"""What a careful but unlucky user types, end to end: nothing loses measured
data, every refusal names what and why, and no gate passes on nothing. One
test per row of the README's table of faults. LOCKBENCH_BIN names the
binary."""

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

from reports.history import HISTORY_VERSION

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("LOCKBENCH_BIN", os.path.join(ROOT, "build", "lockbench"))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "small.json")
NO_PUS = os.path.join(ROOT, "tests", "fixtures", "topologies", "no-pus.xml")
TINY = {"name": "tiny", "duration_ms": 20, "warmup_ms": 5, "repetitions": 1, "watchdog_s": 10,
        "sweeps": [{"family": "spinlock", "variants": ["ticket", "tas"], "threads": [1, 2],
                    "placements": ["none"]}]}


def lockbench(*args, **kwargs):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=300, **kwargs)


def report(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "reports", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, **kwargs)


def names(path):
    with open(path, encoding="utf-8") as f:
        return [e["run_name"] for e in json.load(f)["benchmarks"]]


def contents(directory):
    """{name: bytes} of a directory's files."""
    out = {}
    for name in os.listdir(directory):
        with open(os.path.join(directory, name), "rb") as f:
            out[name] = f.read()
    return out


def file_size_limit(size):
    """A preexec_fn: writes beyond size bytes fail with EFBIG (a full disk,
    as a process sees it), SIGXFSZ ignored."""
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return limit


class FaultTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.config = self.path("tiny.json")
        with open(self.config, "w", encoding="utf-8") as f:
            json.dump(TINY, f)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def assertRefused(self, result, *words, status=2):
        self.assertEqual(result.returncode, status, result.stdout + result.stderr)
        self.assertNotIn("Traceback", result.stderr)
        for word in words:
            self.assertIn(word, result.stderr)

    # --- lockbench run: the results file ---

    def test_resume_with_another_selection_keeps_the_measured_points(self):
        out = self.path("f.json")
        first = lockbench("run", "--config", self.config, "--variant", "ticket", "--out", out)
        self.assertEqual(first.returncode, 0, first.stderr)
        ticket = names(out)
        self.assertEqual(len(ticket), 2)
        more = lockbench("run", "--config", self.config, "--resume", out, "--variant", "tas")
        self.assertEqual(more.returncode, 0, more.stderr)
        self.assertEqual(names(out)[:2], ticket)
        self.assertEqual(len(set(names(out))), 4)
        measured = names(out)
        # A setting that renames the points: the new ones beside the old.
        again = lockbench("run", "--config", self.config, "--resume", out, "--variant", "ticket",
                          "--set", "cs_ns=100")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(names(out)[:4], measured)
        self.assertEqual(len(set(names(out))), 6)

    def test_resume_keeps_a_failed_point_the_filter_leaves_out(self):
        out = self.path("f.json")
        self.assertEqual(lockbench("run", "--config", self.config, "--variant", "ticket",
                                   "--threads", "1", "--out", out).returncode, 0)
        with open(out, encoding="utf-8") as f:
            doc = json.load(f)
        for e in doc["benchmarks"]:
            e.update(valid=False, error="INV1 failed")
        with open(out, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        r = lockbench("run", "--config", self.config, "--resume", out, "--threads", "1",
                      "--benchmark_filter=tas")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, encoding="utf-8") as f:
            kept = [e for e in json.load(f)["benchmarks"] if "/ticket/" in e["run_name"]]
        self.assertEqual(kept, doc["benchmarks"])

    def test_resume_of_a_file_that_is_not_there_makes_none(self):
        missing = self.path("typo.json")
        r = lockbench("run", "--config", self.config, "--resume", missing)
        self.assertRefused(r, "typo.json: cannot be read")
        self.assertFalse(os.path.exists(missing))

    def test_results_never_overwrite_the_config(self):
        with open(self.config, encoding="utf-8") as f:
            before = f.read()
        r = lockbench("run", "--config", self.config, "--out", self.config)
        self.assertRefused(r, "an input of this command")
        with open(self.config, encoding="utf-8") as f:
            self.assertEqual(f.read(), before)

    def test_a_symbolic_link_is_written_through_and_a_device_refused(self):
        real, link = self.path("real.json"), self.path("link.json")
        with open(real, "w", encoding="utf-8") as f:
            f.write("{}")
        os.symlink("real.json", link)
        r = lockbench("run", "--config", self.config, "--variant", "ticket", "--threads", "1",
                      "--out", link)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.islink(link))
        self.assertEqual(len(names(real)), 1)
        r = lockbench("run", "--config", self.config, "--out", "/dev/null")
        self.assertRefused(r, "/dev/null: is a character device")
        self.assertTrue(os.path.exists("/dev/null") and not os.path.isfile("/dev/null"))
        r = lockbench("run", "--config", self.config, "--out", self.dir)
        self.assertRefused(r, "is a directory")

    def test_a_second_run_on_a_file_in_use_is_refused_naming_the_first(self):
        out = self.path("shared.json")
        slow = dict(TINY, duration_ms=3000)
        config = self.path("slow.json")
        with open(config, "w", encoding="utf-8") as f:
            json.dump(slow, f)
        first = subprocess.Popen([BIN, "run", "--config", config, "--threads", "1",
                                  "--variant", "ticket", "--out", out],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not os.path.exists(out) and time.monotonic() < deadline:
                time.sleep(0.02)
            second = lockbench("run", "--config", self.config, "--out", out)
            self.assertRefused(second, f"is being written by process {first.pid}", "lockbench")
        finally:
            first.communicate(timeout=120)
        self.assertEqual(first.returncode, 0)
        self.assertEqual(len(names(out)), 1)

    def test_a_failed_write_is_exit_3_and_the_old_file_stays(self):
        out = self.path("kept.json")
        self.assertEqual(lockbench("run", "--config", self.config, "--variant", "ticket",
                                   "--threads", "1", "--out", out).returncode, 0)
        with open(out, encoding="utf-8") as f:
            before = f.read()
        r = lockbench("run", "--config", self.config, "--out", out,
                      preexec_fn=file_size_limit(len(before) // 2))
        self.assertRefused(r, "cannot write", "File too large", status=3)
        with open(out, encoding="utf-8") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual([n for n in os.listdir(self.dir) if ".tmp." in n], [])

    def test_a_thread_that_cannot_be_created_names_the_limit(self):
        out = self.path("threads.json")
        address_space = 200_000 * 1024

        def limit():
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        r = lockbench("run", "--config", self.config, "--variant", "ticket", "--threads", "64",
                      "--out", out, preexec_fn=limit)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        with open(out, encoding="utf-8") as f:
            [entry] = json.load(f)["benchmarks"]
        self.assertIn("could not create thread", entry["error_message"])
        self.assertIn("RLIMIT_AS 195 MiB", entry["error_message"])

    # --- lockbench plan and run: input checked alike ---

    def test_a_list_placement_parses_on_the_command_line(self):
        r = lockbench("plan", "--config", self.config, "--variant", "ticket", "--threads", "2",
                      "--placement", "none,list:0,1", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        plans = {p["placement"]: p["cpus"] for p in json.loads(r.stdout)["points"]}
        self.assertEqual(plans["list:0,1"], [0, 1])
        self.assertIn("none", plans)

    def test_the_memory_limit_is_checked_alike_by_plan_and_run(self):
        for value in ("-5", "abc", "0", " 5"):
            env = dict(os.environ, LOCKBENCH_MEMORY_LIMIT_MB=value)
            for command in (["plan", "--config", self.config],
                            ["run", "--config", self.config, "--out", self.path("no.json")]):
                r = lockbench(*command, env=env)
                self.assertRefused(r, "LOCKBENCH_MEMORY_LIMIT_MB", f'"{value}"',
                                   "a positive number of MiB")
        self.assertFalse(os.path.exists(self.path("no.json")))

    def test_a_bad_delay_calibration_is_refused_before_anything_runs(self):
        for value in ("abc", "0", "-1", "1e999", ""):
            env = dict(os.environ, LOCKBENCH_DELAY_LOOPS_PER_NS=value)
            for command in (["calibrate"],
                            ["run", "--config", self.config, "--out", self.path("no.json")]):
                r = lockbench(*command, env=env)
                self.assertRefused(r, "LOCKBENCH_DELAY_LOOPS_PER_NS", f'"{value}"',
                                   "a positive number")
        self.assertFalse(os.path.exists(self.path("no.json")))

    def test_a_box_without_pus_or_far_too_large_is_refused_at_once(self):
        r = lockbench("plan", "--config", self.config, "--placement", "compact",
                      "--topology", NO_PUS)
        self.assertRefused(r, "no-pus.xml' has 0 PUs")
        started = time.monotonic()
        r = lockbench("plan", "--config", self.config,
                      "--topology", "synthetic:pack:1000 core:1000 pu:1000")
        self.assertRefused(r, "1000000000 PUs", "allowed: 1 to 65536 PUs")
        self.assertLess(time.monotonic() - started, 30)  # hwloc took minutes before

    # --- reports: the gate ---

    def results(self, name, points=True):
        with open(FIXTURE, encoding="utf-8") as f:
            doc = json.load(f)
        if not points:
            doc["benchmarks"] = []
        path = self.path(name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        return path

    def test_a_history_that_is_not_there_is_an_error_not_a_pass(self):
        missing = self.path("missing.db")
        r = report("compare", "--history", missing, self.results("c.json"), "-o",
                   self.path("gate"))
        self.assertRefused(r, "missing.db: no such history")
        self.assertFalse(os.path.exists(missing))
        sqlite3.connect(self.path("empty.db")).close()
        r = report("compare", "--history", self.path("empty.db"), self.results("c.json"), "-o",
                   self.path("gate"))
        self.assertRefused(r, "empty.db: not a lockbench history")
        made = self.path("made.db")
        sqlite3.connect(made).executescript(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
            f"INSERT INTO meta VALUES ('schema_version', '{HISTORY_VERSION}');"
            "CREATE TABLE runs (id INTEGER PRIMARY KEY);")
        r = report("compare", "--history", made, self.results("c.json"), "-o", self.path("gate"))
        self.assertRefused(r, "a history without runs")

    def test_a_candidate_with_nothing_to_compare_is_no_verdict(self):
        base, empty = self.results("base.json"), self.results("empty.json", points=False)
        r = report("compare", base, empty, "-o", self.path("cmp"))
        self.assertEqual(r.returncode, 4, r.stdout + r.stderr)
        self.assertIn("NOTHING COMPARED", r.stdout)
        self.assertNotIn("no regression", r.stdout)
        db = self.path("h.db")
        self.assertEqual(report("history", "add", base, "--db", db).returncode, 0)
        r = report("compare", "--history", db, self.results("c.json"), "-o", self.path("gate"))
        self.assertEqual(r.returncode, 4, r.stdout + r.stderr)
        self.assertIn("NOTHING COMPARED", r.stdout)

    def test_a_damaged_history_is_refused_by_every_command(self):
        db = self.path("h.db")
        self.assertEqual(report("history", "add", self.results("base.json"), "--db", db)
                         .returncode, 0)
        with open(db, "r+b") as f:  # the second page onwards: the tables' own pages
            f.seek(4096)
            f.write(os.urandom(os.path.getsize(db) - 4096))
        for command in (["history", "plot", "--db", db, "-o", self.path("trend")],
                        ["compare", "--history", db, self.results("c.json"), "-o",
                         self.path("gate")],
                        ["history", "add", self.results("c.json"), "--db", db]):
            self.assertRefused(report(*command), "h.db", "allowed: ")

    # --- reports: where they are written ---

    def test_a_report_onto_a_file_or_a_full_disk_says_so_and_leaves_nothing(self):
        results = self.results("r.json")
        taken = self.path("taken")
        with open(taken, "w", encoding="utf-8") as f:
            f.write("mine")
        r = report(results, "-o", taken)
        self.assertRefused(r, "taken: is a file", status=3)
        with open(taken, encoding="utf-8") as f:
            self.assertEqual(f.read(), "mine")
        r = report(self.path("missing.json"), "-o", self.path("new/a/report"))
        self.assertRefused(r, "missing.json: cannot be read")
        self.assertFalse(os.path.exists(self.path("new")))
        full = self.path("new/full")
        r = report(results, "-o", full, preexec_fn=file_size_limit(4096))
        self.assertRefused(r, "could not be written", "File too large", status=3)
        self.assertFalse(os.path.exists(self.path("new")))
        self.assertEqual(sorted(os.listdir(self.dir)), ["r.json", "taken", "tiny.json"])
        # An earlier report in the directory stays whole, byte for byte.
        self.assertEqual(report(results, "-o", full).returncode, 0)
        before = contents(full)
        r = report(results, "-o", full, preexec_fn=file_size_limit(4096))
        self.assertEqual(r.returncode, 3)
        self.assertIn("is as it was", r.stderr)
        self.assertEqual(contents(full), before)


if __name__ == "__main__":
    unittest.main()
