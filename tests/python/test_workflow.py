"""What the regression workflow must do that its schema cannot say: sweep
on both hosted runner kinds (and the self-hosted ones a variable names),
gate each machine on its own history, merge the histories on main only,
after every machine, and call report commands that exist."""

import json
import os
import re
import shlex
import subprocess
import sys
import unittest

import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
REGRESSION = os.path.join(ROOT, ".github", "workflows", "regression.yml")
HOSTED_RUNNERS = {"ubuntu-latest", "ubuntu-24.04-arm"}
KIND = "${{ matrix.machine.kind }}"
ON_MAIN = ("github.event_name == 'push'", "github.ref == 'refs/heads/main'")


def load_workflow():
    with open(REGRESSION, encoding="utf-8") as f:
        return yaml.safe_load(f)


def step_using(job, action, **inputs):
    """The job's one step using `action` whose inputs include `inputs`."""
    steps = [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action
             and all(s.get("with", {}).get(k) == v for k, v in inputs.items())]
    assert len(steps) == 1, f"{len(steps)} steps use {action} with {inputs}"
    return steps[0]


def report_calls(workflow):
    """Each `scripts/report` call in the workflow's run steps: (command,
    options), command as the words naming it (("history", "merge"))."""
    calls = []
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            for line in step.get("run", "").splitlines():
                match = re.search(r"scripts/report\s+(.*)", line)
                if match:
                    words = shlex.split(match.group(1))
                    length = {"history": 2, "compare": 1, "arch": 1}.get(words[0], 0)
                    command = tuple(words[:length])
                    calls.append((command, {w for w in words if w.startswith("-")}))
    return calls


def help_text(command):
    result = subprocess.run([sys.executable, "-m", "reports", *command, "--help"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    return result.stdout if result.returncode == 0 else ""


class RegressionWorkflowTest(unittest.TestCase):
    def setUp(self):
        self.workflow = load_workflow()
        self.jobs = self.workflow["jobs"]
        self.sweep = self.jobs["quick-sweep"]

    def machines(self):
        step = next(s for s in self.jobs["machines"]["steps"] if s.get("id") == "list")
        return json.loads(step["env"]["HOSTED"]), step["env"]["SELF_HOSTED"]

    def test_matrix_names_both_hosted_runner_kinds(self):
        hosted, self_hosted = self.machines()
        self.assertEqual({m["runs-on"] for m in hosted}, HOSTED_RUNNERS)
        kinds = [m["kind"] for m in hosted]
        self.assertEqual(len(set(kinds)), len(kinds), f"kinds named twice: {kinds}")
        # An unset variable is an empty list: no self-hosted machine.
        self.assertEqual(self_hosted, "${{ vars.LOCKBENCH_SELF_HOSTED || '[]' }}")
        self.assertIn("machines", self.sweep["needs"])
        self.assertEqual(self.sweep["strategy"]["matrix"]["machine"],
                         "${{ fromJSON(needs.machines.outputs.list) }}")
        self.assertFalse(self.sweep["strategy"]["fail-fast"])
        self.assertEqual(self.sweep["runs-on"], "${{ matrix.machine.runs-on }}")

    def test_each_machine_is_gated_on_its_own_history(self):
        history = f"lockbench-history-{KIND}"
        download = step_using(self.sweep, "dawidd6/action-download-artifact", name=history)
        self.assertEqual(download["with"]["branch"], "main")
        upload = step_using(self.sweep, "actions/upload-artifact", name=history)
        self.assertEqual(upload["with"]["path"], "history/history.db")
        self.assertIn("refs/heads/main", upload["if"])
        # Artifact names are unique in a run: the report too is per machine.
        step_using(self.sweep, "actions/upload-artifact", name=f"lockbench-report-{KIND}")
        runs = " ".join(s.get("run", "") for s in self.sweep["steps"])
        self.assertIn("scripts/regression out --history history/history.db $record", runs)
        self.assertIn('record="--record main"', runs)

    def test_histories_merge_only_on_main_after_every_machine(self):
        merge = self.jobs["histories"]
        self.assertIn("quick-sweep", merge["needs"])
        for condition in ON_MAIN:
            self.assertIn(condition, merge["if"])
        step_using(merge, "actions/download-artifact", pattern="lockbench-history-*")
        upload = step_using(merge, "actions/upload-artifact", name="lockbench-history")
        runs = " ".join(s.get("run", "") for s in merge["steps"])
        self.assertRegex(runs, r"scripts/report history merge .* -o " + upload["with"]["path"])
        self.assertIn("scripts/report history plot --db", runs)
        self.assertIn("scripts/report arch --history", runs)

    def test_report_commands_exist(self):
        calls = report_calls(self.workflow)
        self.assertTrue(calls, "no scripts/report call found")
        for command, options in calls:
            with self.subTest(" ".join(command)):
                help_ = help_text(command)
                missing = {o for o in options if not re.search(rf"(?<![\w-]){o}(?![\w-])", help_)}
                self.assertFalse(missing, f"scripts/report {' '.join(command)} has no {missing}")


if __name__ == "__main__":
    unittest.main()
