"""The lockbench command line end to end: a smoke run of configs/quick.json whose
results are checked field by field, the broken variant caught, bad input
refused, plans on synthetic topologies. LOCKBENCH_BIN names the binary."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from reports.cli import build_report
from reports.gate import selection_args
from reports.load import load_results
from reports.points import collect_points

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
BIN = os.environ.get("LOCKBENCH_BIN", os.path.join(ROOT, "build", "lockbench"))
QUICK = os.path.join(ROOT, "configs", "quick.json")

ITERATION_FIELDS = ["name", "run_name", "run_type", "family", "variant", "kind", "threads",
                    "placement", "cpus", "params", "ops_per_sec", "fairness", "latency_ns",
                    "lock_stats", "counters", "valid", "real_time", "cpu_time", "time_unit",
                    "repetition_index", "thread_ops", "cpus_seen", "sched", "sched_slice"]
LATENCY_FIELDS = ["p50", "p90", "p99", "p999", "max"]


def child_pids(pid):
    """The children of a process, from /proc."""
    pids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="utf-8") as f:
                pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return pids


def running(pid):
    """Whether a process exists and is not a zombie awaiting its reaper."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def numbers(entry, path=""):
    """Every number-or-null leaf of a results entry, with its path."""
    if isinstance(entry, dict):
        for key, value in entry.items():
            yield from numbers(value, f"{path}.{key}")
    elif isinstance(entry, list):
        for i, value in enumerate(entry):
            yield from numbers(value, f"{path}[{i}]")
    elif entry is None or isinstance(entry, (int, float)) and not isinstance(entry, bool):
        yield path, entry


def lockbench(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=300)


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.quick_out = os.path.join(cls.dir, "quick.json")
        cls.quick = lockbench("run", "--config", QUICK, "--out", cls.quick_out)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def write_config(self, name, config):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(config, f)
        return path

    def test_quick_sweep_runs_every_default_variant_and_writes_every_field(self):
        self.assertEqual(self.quick.returncode, 0, self.quick.stderr)
        with open(self.quick_out, encoding="utf-8") as f:
            doc = json.load(f)
        self.assertEqual(doc["context"]["lockbench"]["schema_version"], 2)
        for key in ("arch", "cpu_model", "topology", "relax_instruction", "cache_line",
                    "compiler", "git_revision", "config", "calibration"):
            self.assertIn(key, doc["context"]["lockbench"])
        self.assertIn("host_name", doc["context"])  # Google Benchmark's own context
        # Each family's own description, for the report.
        for name, family in doc["context"]["lockbench"]["families"].items():
            self.assertTrue(family["report"]["operation"], name)
            for figure in family["report"]["figures"]:
                self.assertIn(figure["counter"], family["counters"] + family["derived_counters"])
        listing = json.loads(lockbench("list", "--json").stdout)
        expected = {(f["name"], v["name"]) for f in listing["families"]
                    for v in f["variants"] if v["kind"] != "broken"}
        seen = set()
        for e in doc["benchmarks"]:
            self.assertEqual(e["run_type"], "iteration")  # quick runs one repetition
            for field in ITERATION_FIELDS:
                self.assertIn(field, e, e["name"])
            self.assertTrue(e["valid"], e.get("error"))
            # Oversubscribed, a short window may complete no operation: the
            # window then stands for the time per operation (a lower bound).
            self.assertGreaterEqual(e["ops_per_sec"], 0, e["name"])
            per_op = 1e9 / e["ops_per_sec"] if e["ops_per_sec"] > 0 else e["seconds"] * 1e9
            self.assertAlmostEqual(e["real_time"], per_op, delta=e["real_time"] * 1e-6)
            self.assertEqual(len(e["cpus"]), e["threads"])
            self.assertEqual(len(e["thread_ops"]), e["threads"])
            # This machine's PUs, unpinned or pinned one thread to a PU.
            self.assertEqual(e["oversubscribed"], e["threads"] > os.cpu_count(), e["name"])
            for field in LATENCY_FIELDS:
                self.assertIn(field, e["latency_ns"])
            for stats in e["lock_stats"].values():
                for field in ("acquisitions", "wait_ns_mean", "hold_ns_mean"):
                    self.assertIn(field, stats)
                # Locks that cannot tell whether they waited without an extra
                # access to the lock's line do not say.
                if e["variant"] in ("ck_ticket", "mcs", "std_mutex"):
                    self.assertNotIn("contended", stats, e["name"])
                elif stats["acquisitions"] > 0:
                    self.assertIn("contended", stats, e["name"])
            # Every spinlock point reports its lock, with a count the scheduler
            # may leave at zero (see the window above), never progress.
            if e["family"] == "spinlock":
                acquisitions = e["lock_stats"]["lock"]["acquisitions"]
                self.assertIsInstance(acquisitions, (int, float), e["name"])
                self.assertGreaterEqual(acquisitions, 0, e["name"])
            # The machine state each repetition ran in, where two CPUs exist.
            if os.cpu_count() >= 2:
                self.assertGreater(e["handoff_ns"], 0, e["name"])
            self.assertTrue(e["name"].startswith(f'{e["family"]}/{e["variant"]}/'))
            # The default policy, and the slice it gives (or why it is unknown).
            self.assertEqual(e["sched"], "other")
            self.assertTrue(e["sched_slice"].get("from") or e["sched_slice"].get("why"))
            seen.add((e["family"], e["variant"]))
        self.assertEqual(seen, expected)
        self.assertIn("ops/s", self.quick.stdout)

    def test_the_history_gate_selects_exactly_the_point_it_measures_again(self):
        for point in collect_points([load_results(self.quick_out)]):
            plan = lockbench("plan", "--config", QUICK, "--json", *selection_args(point))
            self.assertEqual(plan.returncode, 0, plan.stderr)
            self.assertEqual([p["name"] for p in json.loads(plan.stdout)["points"]], [point.name])

    def test_report_of_the_quick_sweep(self):
        self.assertEqual(self.quick.returncode, 0, self.quick.stderr)
        out = os.path.join(self.dir, "report")
        build_report([self.quick_out], out)
        self.assertTrue(os.path.getsize(os.path.join(out, "spinlock-throughput.png")) > 0)

    def test_repetitions_give_google_benchmark_aggregates(self):
        out = os.path.join(self.dir, "reps.json")
        r = lockbench("run", "--config", QUICK, "--out", out, "--variant", "ticket",
                      "--threads", "2", "--repetitions", "3", "--duration-ms", "50")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, encoding="utf-8") as f:
            entries = json.load(f)["benchmarks"]
        self.assertEqual([e["repetition_index"] for e in entries if e["run_type"] == "iteration"],
                         [0, 1, 2])
        aggregates = {e["aggregate_name"]: e for e in entries if e["run_type"] == "aggregate"}
        self.assertEqual(set(aggregates), {"mean", "median", "stddev", "cv"})
        values = sorted(e["ops_per_sec"] for e in entries if e["run_type"] == "iteration")
        self.assertAlmostEqual(aggregates["median"]["ops_per_sec"], values[1], delta=values[1] * 1e-9)
        self.assertTrue(aggregates["median"]["name"].endswith("_median"))
        # Three repetitions give no 95% interval of the median: none is
        # written, and the stability says why.
        self.assertNotIn("ci95_low", aggregates["median"])
        self.assertIn("6 needed", aggregates["median"]["stability"])
        self.assertGreaterEqual(aggregates["median"]["cv"], 0)

    def test_adaptive_repetitions_give_an_interval_and_a_verdict(self):
        out = os.path.join(self.dir, "auto.json")
        r = lockbench("run", "--config", QUICK, "--out", out, "--family", "spinlock",
                      "--variant", "ticket,mcs", "--threads", "1", "--duration-ms", "20",
                      "--repetitions", "auto", "--max-repetitions", "7", "--target-ci", "50")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("3 to 7 repetitions", r.stdout)
        with open(out, encoding="utf-8") as f:
            doc = json.load(f)
        self.assertEqual(doc["context"]["lockbench"]["settings"]["repetitions"], "auto")
        for median in (e for e in doc["benchmarks"] if e.get("aggregate_name") == "median"):
            runs = sorted(e["ops_per_sec"] for e in doc["benchmarks"]
                          if e["run_type"] == "iteration" and e["run_name"] == median["run_name"])
            self.assertTrue(6 <= len(runs) <= 7, median["name"])  # an interval needs 6
            self.assertEqual((median["ci95_low"], median["ci95_high"]), (runs[0], runs[-1]))
            self.assertTrue(median["stability"])

    def test_calibrate_gives_the_hand_off_matrix(self):
        r = lockbench("calibrate", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        c = json.loads(r.stdout)
        n = len(c["cpus"])
        self.assertEqual(n, os.cpu_count())
        self.assertEqual(len(c["c2c_ns"]), n)
        for i, row in enumerate(c["c2c_ns"]):
            self.assertEqual(len(row), n)
            self.assertEqual(row[i], 0)
            for j, ns in enumerate(row):
                self.assertEqual(ns, c["c2c_ns"][j][i])
                if i != j:
                    self.assertGreater(ns, 0)
        for key in ("clock_read_ns", "delay_error_pct", "timing_cost_ns"):
            self.assertGreaterEqual(c[key], 0, key)
        text = lockbench("calibrate")
        self.assertIn("hand-off", text.stdout)
        bad = lockbench("calibrate", "--placement", "sideways")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("sideways", bad.stderr)

    # Short spins and sleeps injected at every slow-path step: the broken PV
    # lock loses a wakeup and hangs; the correct one, run the same way, does not.
    PV_STRESS = {"duration_ms": 300, "warmup_ms": 0, "repetitions": 2, "watchdog_s": 1.5,
                 "sweeps": [{"family": "spinlock", "threads": [6],
                             "params": {"spin_threshold": 16, "step_sleep_pct": 30}}]}

    def test_correct_pv_lock_survives_the_stress_the_broken_one_fails(self):
        config = self.write_config("pv-config.json", self.PV_STRESS)
        out = os.path.join(self.dir, "pv.json")
        r = lockbench("run", "--config", config, "--out", out, "--variant", "pv_ticket")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(out, encoding="utf-8") as f:
            entries = [e for e in json.load(f)["benchmarks"] if e["run_type"] == "iteration"]
        # Valid whatever the scheduler allowed; that the slow path runs is
        # spinlock_test's SlowPathWithInjectedSleepsLosesNoWakeup.
        self.assertTrue(entries)
        self.assertTrue(all(e["valid"] for e in entries))

    def test_google_benchmark_filter_narrows_the_sweep(self):
        out = os.path.join(self.dir, "filtered.json")
        r = lockbench("run", "--config", QUICK, "--out", out, "--duration-ms", "20",
                      "--benchmark_filter=spinlock/ticket/")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, encoding="utf-8") as f:
            names = {e["name"] for e in json.load(f)["benchmarks"]}
        self.assertTrue(names)
        self.assertTrue(all(n.startswith("spinlock/ticket/") for n in names), names)
        self.assertIn(f"{len(names)} of {len(names)} points valid", r.stdout)

    def test_broken_variant_is_reported_invalid(self):
        config = self.write_config("broken-config.json", self.PV_STRESS)
        out = os.path.join(self.dir, "broken.json")
        r = lockbench("run", "--config", config, "--out", out, "--variant", "pv_ticket_norecheck")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("FAILED", r.stdout)
        with open(out, encoding="utf-8") as f:
            entries = json.load(f)["benchmarks"]
        self.assertTrue(entries)
        for e in entries:
            self.assertFalse(e["valid"])
            self.assertIn("watchdog", e["error"])
            self.assertNotIn("ops_per_sec", e)
            self.assertNotIn("latency_ns", e)

    def test_sigterm_keeps_finished_points_and_resume_measures_the_rest(self):
        config = self.write_config("long.json", {
            "duration_ms": 200, "warmup_ms": 10, "repetitions": 1, "watchdog_s": 5,
            "sweeps": [{"family": "spinlock", "variants": ["ticket", "mcs"],
                        "threads": [1, 2, 3, 4, 5, 6, 7, 8], "placements": ["none"]}]})
        out = os.path.join(self.dir, "long-results.json")
        process = subprocess.Popen([BIN, "run", "--config", config, "--out", out],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until two points are in the file
            try:
                with open(out, encoding="utf-8") as f:
                    if len(json.load(f)["benchmarks"]) >= 2:
                        break
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        stdout, _ = process.communicate(timeout=30)
        self.assertLess(time.monotonic() - sent, 1.0)
        self.assertEqual(process.returncode, 128 + signal.SIGTERM)
        self.assertIn(f"--resume {out}", stdout)
        with open(out, encoding="utf-8") as f:
            kept = json.load(f)["benchmarks"]
        self.assertTrue(2 <= len(kept) < 16)
        self.assertTrue(all(e["valid"] for e in kept))  # the stopped point is not recorded
        self.assertEqual([f for f in os.listdir(self.dir) if ".tmp." in f], [])

        resumed = lockbench("run", "--config", config, "--resume", out)
        self.assertEqual(resumed.returncode, 0, resumed.stdout + resumed.stderr)
        self.assertIn(f"{len(kept)} points already measured", resumed.stdout)
        with open(out, encoding="utf-8") as f:
            names = [e["run_name"] for e in json.load(f)["benchmarks"]]
        self.assertEqual(len(names), 16)
        self.assertEqual(len(set(names)), 16)
        self.assertEqual(names[:len(kept)], [e["run_name"] for e in kept])

        other = self.write_config("other.json", {"duration_ms": 100, "sweeps": [
            {"family": "spinlock", "threads": [1]}]})
        refused = lockbench("run", "--config", other, "--resume", out)
        self.assertEqual(refused.returncode, 2)
        self.assertIn("measured with another config", refused.stderr)

    def test_a_point_larger_than_memory_is_refused_before_anything_runs(self):
        out = os.path.join(self.dir, "never-written.json")
        env = dict(os.environ, LOCKBENCH_MEMORY_LIMIT_MB="64")
        r = subprocess.run([BIN, "run", "--config", QUICK, "--family", "maptrack", "--set",
                            "max_frames=65536", "--out", out], capture_output=True, text=True,
                           env=env, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn("max_frames", r.stderr)
        self.assertIn("more than the 64 MiB available", r.stderr)
        self.assertFalse(os.path.exists(out))

    def test_bad_config_names_key_value_and_allowed(self):
        config = self.write_config("bad.json", {
            "sweeps": [{"family": "spinlock", "params": {"cs_ns": -5}}]})
        r = lockbench("run", "--config", config, "--out", os.path.join(self.dir, "never.json"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("sweeps[0].params.cs_ns", r.stderr)
        self.assertIn("-5", r.stderr)
        self.assertIn("allowed", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "never.json")))

    def test_bad_usage_exits_2(self):
        self.assertEqual(lockbench("frobnicate").returncode, 2)
        self.assertEqual(lockbench("run", "--config", QUICK).returncode, 2)
        r = lockbench("plan", "--config", QUICK, "--threads", "lots")
        self.assertEqual(r.returncode, 2)
        self.assertIn("lots", r.stderr)
        r = lockbench("run", "--config", QUICK, "--out", "/dev/null", "--bogus")
        self.assertEqual(r.returncode, 2)

    def commands(self):
        """The commands an unknown one is told of: the command table's."""
        r = lockbench("frobnicate")
        self.assertEqual(r.returncode, 2)
        return r.stderr.split("allowed: ")[1].split(" (")[0].split(", ")

    def test_unknown_command_lists_every_command(self):
        self.assertEqual(self.commands(), ["list", "topology", "calibrate", "plan", "run"])

    def test_every_command_answers_help_with_its_usage(self):
        overview = lockbench("--help")
        self.assertEqual(overview.returncode, 0, overview.stderr)
        for command in self.commands():
            self.assertIn(f"\n  {command}", overview.stdout)
            for flag in ["--help", "-h"]:
                # After other options too: the usage, and nothing run.
                r = lockbench(command, "--json", flag)
                self.assertEqual(r.returncode, 0, f"{command} {flag}: {r.stderr}")
                self.assertTrue(r.stdout.startswith(f"usage: lockbench {command}"), r.stdout)
                self.assertIn("exit status:", r.stdout)

    def test_help_lists_the_exit_statuses(self):
        statuses = lockbench("--help").stdout.split("exit status:\n")[1]
        codes = [line.split()[0] for line in statuses.splitlines()]
        self.assertEqual(codes, ["0", "1", "2", "3", "130"])

    def test_list_json_shape(self):
        listing = json.loads(lockbench("list", "--json").stdout)
        spinlock = [f for f in listing["families"] if f["name"] == "spinlock"][0]
        kinds = {v["name"]: v["kind"] for v in spinlock["variants"]}
        self.assertEqual(kinds["ticket"], "global")
        self.assertEqual(kinds["pv_ticket"], "scalable")
        self.assertIn("broken", kinds.values())
        self.assertIn("cs_ns", [p["name"] for p in spinlock["params"]])

    def test_plan_compact_and_scatter_differ_on_two_packages(self):
        topo = "synthetic:pack:2 core:4 pu:2"
        r = lockbench("plan", "--config", QUICK, "--topology", topo, "--json",
                      "--variant", "ticket", "--threads", "4", "--placement", "compact,scatter")
        self.assertEqual(r.returncode, 0, r.stderr)
        plan = json.loads(r.stdout)
        cpus = {p["placement"]: p["cpus"] for p in plan["points"]}
        self.assertEqual(cpus["compact"], [0, 1, 2, 3])  # package 0, SMT siblings first
        described = json.loads(lockbench("topology", "--topology", topo, "--json").stdout)
        package = {pu["cpu"]: pu["package"] for pu in described["pu_list"]}
        self.assertEqual([package[c] for c in cpus["scatter"]], [0, 1, 0, 1])
        self.assertGreater(plan["estimated_seconds"], 0)

    def test_plan_names_each_count_on_a_real_box(self):
        box = os.path.join(ROOT, "tests", "fixtures", "topologies", "192em64t-24n8c2t.xml")
        args = ("plan", "--config", QUICK, "--topology", box, "--variant", "ticket",
                "--threads", "ladder", "--placement", "compact", "--home", "first,far")
        table = lockbench(*args)
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertIn("16 (one L3 cache, one package, one NUMA node)", table.stdout)
        self.assertIn("thread counts within the CPUs (11)", table.stdout)
        self.assertIn("thread counts oversubscribed (0): none", table.stdout)
        # 'far' at a ladder count that leaves no node free (384) is no point.
        self.assertNotIn("home:far/placement:compact/threads:384", table.stdout)
        plan = json.loads(lockbench(*args, "--json").stdout)
        boundary = {p["threads"]: p["boundary"] for p in plan["points"]}
        self.assertEqual(boundary[2], "one core's SMT siblings")
        self.assertEqual(boundary[192], "as many threads as cores")
        self.assertEqual(boundary[32], "")
        self.assertEqual(len(plan["thread_counts"]["within_cpus"]), 11)
        far = [p for p in plan["points"] if p["home"] == "far" and p["threads"] == 16]
        self.assertEqual(far[0]["home_nodes"], [23])

    def test_sched_rr_is_recorded_or_refused_before_anything_runs(self):
        out = os.path.join(self.dir, "rr.json")
        r = lockbench("run", "--config", QUICK, "--variant", "tas,ticket", "--threads", "4x",
                      "--sched", "rr", "--duration-ms", "100", "--repetitions", "2",
                      "--out", out)
        if r.returncode == 2 and "cannot run in this process" in r.stderr:
            for said in ("'sched'", '"rr"', "RLIMIT_RTPRIO", "CAP_SYS_NICE"):
                self.assertIn(said, r.stderr)
            self.assertFalse(os.path.exists(out))
            self.skipTest("this process may not use SCHED_RR: " + r.stderr.strip())
        # Oversubscribed and SCHED_RR with 100 ms slices: no progress is
        # promised in a 100 ms window, only that it ran as asked.
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(out, encoding="utf-8") as f:
            doc = json.load(f)
        self.assertRegex(doc["context"]["lockbench"]["rt_throttling"],
                         r"^(\d+ of every \d+ us|off|unknown)$")
        self.assertEqual({e["sched"] for e in doc["benchmarks"]}, {"rr"})
        iterations = [e for e in doc["benchmarks"] if e["run_type"] == "iteration"]
        self.assertEqual(len(iterations), 4)
        for e in iterations:
            self.assertIn("/sched:rr/", e["name"])
            self.assertEqual(e["sched_slice"]["from"], "sched_rr_get_interval")
            self.assertGreater(e["sched_slice"]["ns"], 0)

    def test_a_sched_policy_that_does_not_exist_is_a_bad_config(self):
        r = lockbench("plan", "--config", QUICK, "--variant", "ticket", "--sched", "fifo")
        self.assertEqual(r.returncode, 2)
        for said in ("--sched", '"fifo"', '"other"', '"rr"'):
            self.assertIn(said, r.stderr)

    def test_a_home_this_box_lacks_is_a_bad_config(self):
        r = lockbench("plan", "--config", QUICK, "--variant", "ticket", "--placement", "compact",
                      "--home", "node:7")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--home", r.stderr)
        self.assertIn("node:7", r.stderr)

    def test_killed_sweep_leaves_no_point_running(self):
        config = self.write_config("killed.json", {
            "duration_ms": 20000, "warmup_ms": 0, "repetitions": 1,
            "sweeps": [{"family": "spinlock", "variants": ["ticket"], "threads": [8]}]})
        process = subprocess.Popen([BIN, "run", "--config", config, "--out",
                                    os.path.join(self.dir, "killed-results.json")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        children = []
        deadline = time.monotonic() + 30
        while not children and time.monotonic() < deadline:
            children = child_pids(process.pid)
            time.sleep(0.05)
        self.assertTrue(children, "the point's process never started")
        process.kill()
        process.wait(timeout=10)
        time.sleep(1)
        self.assertEqual([pid for pid in children if running(pid)], [],
                         "a point outlived its killed sweep")

    def test_list_shows_what_provokes_each_broken_variant(self):
        listing = json.loads(lockbench("list", "--json").stdout)
        for family in listing["families"]:
            for v in family["variants"]:
                if v["kind"] != "broken":
                    self.assertEqual(v["overrides"], {}, v["name"])
        text = lockbench("list").stdout
        self.assertIn("runs with spin_threshold=16 step_sleep_pct=20 (--set changes them)", text)

    def test_point_without_a_producer_is_refused(self):
        r = lockbench("plan", "--config", QUICK, "--family", "evtchn", "--threads", "1,2")
        self.assertEqual(r.returncode, 2)
        self.assertIn("evtchn/global/placement:none/threads:1", r.stderr)
        self.assertIn("needs a producer and a consumer", r.stderr)
        out = os.path.join(self.dir, "never-producer.json")
        r = lockbench("run", "--config", QUICK, "--family", "evtchn", "--threads", "1",
                      "--out", out)
        self.assertEqual(r.returncode, 2)
        self.assertFalse(os.path.exists(out))

    def test_duplicate_key_is_refused(self):
        path = os.path.join(self.dir, "dup.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write('{"sweeps": [{"family": "spinlock", "family": "tasklet"}]}')
        r = lockbench("plan", "--config", path)
        self.assertEqual(r.returncode, 2)
        self.assertIn("'sweeps[0].family' is given twice", r.stderr)

    def test_a_sweep_of_days_is_warned_about(self):
        r = lockbench("plan", "--config", QUICK, "--duration-ms", "3600000",
                      "--repetitions", "1000")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning", r.stderr)
        self.assertIn("days", r.stderr)
        quick = lockbench("plan", "--config", QUICK)
        self.assertNotIn("warning", quick.stderr)

    def test_google_benchmark_compare_reads_a_window_without_operations(self):
        # A holder preempted for a second in a 50 ms window: no operation.
        zero = os.path.join(self.dir, "zero.json")
        r = lockbench("run", "--config", QUICK, "--variant", "ticket", "--threads", "2",
                      "--duration-ms", "50", "--repetitions", "2", "--set", "preempt_pct=100",
                      "--set", "preempt_us=1000000", "--out", zero)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(zero, encoding="utf-8") as f:
            doc = json.load(f)
        for e in doc["benchmarks"]:
            for path, value in numbers(e):
                # The one null: a slice the kernel did not say, with why beside it.
                if path == ".sched_slice.ns" and e["sched_slice"].get("why"):
                    continue
                self.assertIsNotNone(value, f'{e["name"]}: {path}')
        iterations = [e for e in doc["benchmarks"] if e["run_type"] == "iteration"]
        self.assertEqual([e["ops"] for e in iterations], [0, 0])
        self.assertEqual([e["real_time"] for e in iterations],
                         [e["seconds"] * 1e9 for e in iterations])
        compare = "/usr/share/benchmark/compare.py"
        if not os.path.exists(compare):
            self.skipTest("Google Benchmark's compare.py (libbenchmark-tools) is not installed")
        for a, b in ((zero, self.quick_out), (self.quick_out, zero)):
            c = subprocess.run([sys.executable, compare, "benchmarks", a, b],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(c.returncode, 0, c.stdout + c.stderr)

    def test_topology_from_bad_spec_is_refused(self):
        r = lockbench("topology", "--topology", "synthetic:pack:banana")
        self.assertEqual(r.returncode, 2)
        self.assertIn("synthetic:pack:banana", r.stderr)


if __name__ == "__main__":
    unittest.main()
