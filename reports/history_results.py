"""Runs in a history read back as results (ResultSet), so a report drawn
from files can be drawn from the history: `scripts/report arch --history DB`
takes each machine's latest run of a config.

A run's results come back as its context (kept since history version 2)
and one iteration entry per repetition of each valid point (the fields
reports/points.py collect_points reads), one failed entry per failed point.
What the history never kept is not there: latency, fairness, counters, the
scheduler's figures, the median entry's stability verdict; the figures of
throughput, scaling and speedup need none of it.
"""

import json
import os

from reports import history
from reports.load import ReportError, ResultSet

POINT_FIELDS = ("name", "family", "variant", "kind", "placement", "threads", "params",
                "oversubscribed", "valid", "error", "home", "sched")


def latest_runs(db, db_path, config=None):
    """[ResultSet] of each machine's latest run of config, in machine order;
    config may be left out when the history holds runs of one config only."""
    config = _config(db, db_path, config)
    runs = db.execute(
        "SELECT id, machine, commit_hash, date, source, context FROM runs r WHERE config = ?"
        " AND id = (SELECT id FROM runs WHERE machine = r.machine AND config = r.config"
        "           ORDER BY date DESC, id DESC LIMIT 1) ORDER BY machine", (config,)).fetchall()
    without_context = [f"{machine}, commit {commit}, {date} ({source})"
                       for _, machine, commit, date, source, context in runs if context is None]
    if without_context:
        raise ReportError(
            f"{db_path}: the latest runs of config {config!r} of these machines were recorded by "
            "history version 1, which kept no context (arch, CPU model, topology, cache line, "
            "relax instruction, atomics): " + "; ".join(without_context) + "; allowed: runs with "
            f"their context (add their results files again: 'scripts/report history add FILE "
            f"--db {db_path}')")
    return [ResultSet(f"{db_path}:run {run_id} ({os.path.basename(source)})",
                      json.loads(context), entries_of(db, run_id))
            for run_id, _, _, _, source, context in runs]


def _config(db, db_path, config):
    known = history.configs(db)
    if not known:
        raise ReportError(f"{db_path}: a history without runs; allowed: a history that "
                          "'scripts/report history add' or 'history merge' has added runs to")
    if config is None and len(known) > 1:
        raise ReportError(f"{db_path}: runs of {len(known)} configs; allowed: --config NAME, one "
                          "of " + ", ".join(repr(c) for c in known))
    if config is not None and config not in known:
        raise ReportError(f"--config {config!r}: not in {db_path}; allowed: "
                          + ", ".join(repr(c) for c in known))
    return config or known[0]


def entries_of(db, run_id):
    """The run's points as results entries: an iteration entry per valid
    repetition, or one failed entry for a point that failed."""
    repetitions = {}
    for name, ops_per_sec, handoff_ns in db.execute(
            "SELECT name, ops_per_sec, handoff_ns FROM repetitions WHERE run_id = ?"
            " ORDER BY name, repetition", (run_id,)):
        repetitions.setdefault(name, []).append((ops_per_sec, handoff_ns))
    entries = []
    for row in db.execute(f"SELECT {', '.join(POINT_FIELDS)} FROM points WHERE run_id = ?"
                          " ORDER BY rowid", (run_id,)):
        point = dict(zip(POINT_FIELDS, row))
        name = point.pop("name")
        common = {**point, "run_name": name, "run_type": "iteration",
                  "params": json.loads(point["params"]),
                  "oversubscribed": bool(point["oversubscribed"]), "valid": bool(point["valid"])}
        if not common["valid"]:
            entries.append(common)
            continue
        entries += [{**common, "repetition_index": i, "ops_per_sec": value, "handoff_ns": probe}
                    for i, (value, probe) in enumerate(repetitions.get(name, []))]
    return entries
