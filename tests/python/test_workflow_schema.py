"""The CI workflows against GitHub's workflow schema (scripts/check-workflows,
action-validator from npm), and broken copies of the regression workflow
against it: a validator that accepts anything fails here. Without the npm
registry the validator cannot be installed, and the tests fail saying so."""

import os
import subprocess
import tempfile
import unittest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CHECK = os.path.join(ROOT, "scripts", "check-workflows")
REGRESSION = os.path.join(ROOT, ".github", "workflows", "regression.yml")
NOT_INSTALLED = 2

# (what is broken, text of the workflow, its broken form, what the
# validator's errors must name)
BREAKAGES = [
    ("a misspelt job key", "\n    steps:\n", "\n    stepz:\n", "stepz"),
    ("a job needing one that does not exist", "needs: quick-sweep\n",
     "needs: quick-sweeps\n", "quick-sweeps"),
]


def check(*files):
    return subprocess.run(["bash", CHECK, *files], capture_output=True, text=True, timeout=600)


class WorkflowSchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Installs the validator once: npm takes a minute to give up on an
        # unreachable registry, and each test would wait for it again.
        cls.workflows = check()

    def assert_validator_ran(self, result):
        self.assertNotEqual(result.returncode, NOT_INSTALLED,
                            "the workflow validator could not be installed:\n" + result.stderr)

    def test_every_workflow_is_valid(self):
        result = self.workflows
        self.assert_validator_ran(result)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("regression.yml: valid", result.stderr)

    def test_broken_copies_are_rejected(self):
        with open(REGRESSION, encoding="utf-8") as f:
            workflow = f.read()
        self.assert_validator_ran(self.workflows)
        for what, text, broken, named in BREAKAGES:
            with self.subTest(what), tempfile.TemporaryDirectory() as tmp:
                self.assertIn(text, workflow, "the workflow changed: update BREAKAGES")
                copy = os.path.join(tmp, "regression.yml")
                with open(copy, "w", encoding="utf-8") as f:
                    f.write(workflow.replace(text, broken, 1))
                result = check(copy)
                self.assert_validator_ran(result)
                self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
                self.assertIn(named, result.stdout + result.stderr)


if __name__ == "__main__":
    unittest.main()
