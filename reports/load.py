"""Reading lockbench results files, refusing anything that is not one."""

import json
import os
from dataclasses import dataclass

SCHEMA_VERSION = 2
# Version 1 called a variant's kind its "role" (now the word for a thread's
# producer or consumer part); otherwise the same, so it is read as version 2.
UPGRADES = {1: lambda entry: {("kind" if k == "role" else k): v for k, v in entry.items()}}


class ReportError(Exception):
    """A results file cannot be used; the message names the file and why."""


@dataclass
class ResultSet:
    path: str
    context: dict
    entries: list

    @property
    def lockbench(self):
        return self.context["lockbench"]


def load_results(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise ReportError(f"{path}: cannot be read ({e.strerror})") from e
    except json.JSONDecodeError as e:
        raise ReportError(f"{path}: not valid JSON (truncated?): {e}") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise ReportError(f"{path}: not a results file (no 'benchmarks' list)")
    context = doc.get("context")
    if not isinstance(context, dict) or not isinstance(context.get("lockbench"), dict):
        raise ReportError(f"{path}: not a lockbench results file (no context.lockbench)")
    version = context["lockbench"].get("schema_version")
    entries = doc["benchmarks"]
    if version in UPGRADES:
        entries = [UPGRADES[version](e) for e in entries]
    elif version != SCHEMA_VERSION:
        readable = ", ".join(str(v) for v in sorted([*UPGRADES, SCHEMA_VERSION]))
        raise ReportError(f"{path}: schema version {version!r}; this report reads versions {readable}")
    return ResultSet(path, context, entries)


def load_all(paths):
    if not paths:
        raise ReportError("no results files given")
    return [load_results(p) for p in paths]


def file_names(result_sets):
    """{path: short name} to tell several files apart in figures; None for one."""
    if len(result_sets) < 2:
        return None
    names = [os.path.basename(rs.path) for rs in result_sets]
    if len(set(names)) < len(names):
        names = [rs.path for rs in result_sets]
    return {rs.path: name for rs, name in zip(result_sets, names)}


def family_report(result_sets, family):
    """What the family declares for its report (lockbench list --json,
    "report"): what an operation is, the counters to draw and their labels,
    whether the hand-off bounds it. From the first file that has it; files
    written before families described themselves give {}."""
    for rs in result_sets:
        described = rs.lockbench.get("families", {}).get(family)
        if described:
            return described.get("report", {})
    return {}
