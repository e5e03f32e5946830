"""The docs' generated tables of families match the built binary's
`lockbench list --json` (scripts/docs-tables --check), and the hand-written
table of what each counter means names every family and counter.
LOCKBENCH_BIN names the binary."""

import json
import os
import subprocess
import sys
import unittest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
BIN = os.environ.get("LOCKBENCH_BIN", os.path.join(ROOT, "build", "lockbench"))
SCRIPT = os.path.join(ROOT, "scripts", "docs-tables")


class DocsTablesTest(unittest.TestCase):
    def test_the_generated_tables_are_what_the_binary_lists(self):
        r = subprocess.run([sys.executable, SCRIPT, "--check", "--lockbench", BIN],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_every_family_and_counter_has_its_meaning_written(self):
        listing = json.loads(subprocess.run([BIN, "list", "--json"], capture_output=True,
                                            text=True, timeout=60, check=True).stdout)
        with open(os.path.join(ROOT, "docs", "results-format.md"), encoding="utf-8") as f:
            rows = {line.split("|")[1].strip(): line for line in f
                    if line.startswith("| `")}
        for family in listing["families"]:
            row = rows.get(f'`{family["name"]}`')
            self.assertIsNotNone(row, family["name"])
            for counter in family["counters"] + family["derived_counters"]:
                self.assertIn(f"`{counter}`", row, family["name"])


if __name__ == "__main__":
    unittest.main()
