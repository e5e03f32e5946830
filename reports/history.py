"""A history of lockbench runs in one SQLite file: every run kept, each
point's median over commits, per machine.

Schema (plain SQL: `sqlite3 FILE .schema`):

  meta(key TEXT PRIMARY KEY, value TEXT)      -- schema_version
  runs(id INTEGER PRIMARY KEY,
       digest TEXT,            -- SHA-256 of the results file as last added
       commit_hash TEXT, date TEXT, branch TEXT,
       machine TEXT,           -- "host / CPU / arch" (host: the file's, or `add --host`)
       config TEXT, source TEXT,
       context TEXT,           -- the results file's context, JSON; NULL for a run
                               -- recorded by version 1, which did not keep it
       UNIQUE (machine, commit_hash, date, config))
  points(run_id INTEGER REFERENCES runs(id), name TEXT,
         family TEXT, variant TEXT, kind TEXT, placement TEXT, threads INTEGER,
         params TEXT,          -- JSON
         oversubscribed INTEGER, valid INTEGER, error TEXT,
         repetitions INTEGER,  -- valid ones
         median REAL,          -- ops/s; NULL when the point failed
         ci_low REAL, ci_high REAL,  -- the median's 95% interval; NULL below 6 repetitions
         home TEXT, sched TEXT,  -- where its shared state lived, its threads' policy;
                                 -- NULL for a point recorded by version 1
         PRIMARY KEY (run_id, name))
  repetitions(run_id INTEGER, name TEXT,  -- a valid point's repetitions
              repetition INTEGER, ops_per_sec REAL,
              handoff_ns REAL,  -- the machine state probed after it; NULL when not probed
              PRIMARY KEY (run_id, name, repetition))

A run is identified by machine, commit, start date and config: adding its
file again changes nothing, and adding it after it grew (a sweep still
writing it, or resumed) replaces its points. Runs are ordered by date. Each
results file is added in one transaction,
and every connection waits up to 30 s for another writer, so two writers at
once lose nothing; a file that is not a lockbench results file of a schema
the reports read, or a database that is not a history, is refused with what
was wrong.

Version 2 keeps each run's context and each point's home and sched, so a
report can be drawn from the history as from the files
(reports/history_results.py). A version-1 history is upgraded in place, in
one transaction, by the first command that opens it for writing: its runs
keep no context (NULL) until their files are added again. Histories of
several machines are joined by reports/history_merge.py, run by run, as
`add` adds.
"""

import hashlib
import json
import os
import sqlite3
import urllib.parse
from dataclasses import dataclass, field

import numpy as np

from reports.load import ReportError, load_results
from reports.machine_state import MachineStates
from reports.points import collect_points
from reports.uncertainty import median_interval

HISTORY_VERSION = 2
# SQLite's errors that say nothing of the history itself.
MACHINE_FAILURES = ("database or disk is full", "database is locked")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY, digest TEXT NOT NULL, commit_hash TEXT, date TEXT,
  branch TEXT, machine TEXT NOT NULL, config TEXT, source TEXT, context TEXT,
  UNIQUE (machine, commit_hash, date, config));
CREATE TABLE IF NOT EXISTS points (
  run_id INTEGER NOT NULL REFERENCES runs(id), name TEXT NOT NULL, family TEXT, variant TEXT,
  kind TEXT, placement TEXT, threads INTEGER, params TEXT, oversubscribed INTEGER,
  valid INTEGER, error TEXT, repetitions INTEGER, median REAL, ci_low REAL, ci_high REAL,
  home TEXT, sched TEXT, PRIMARY KEY (run_id, name));
CREATE TABLE IF NOT EXISTS repetitions (
  run_id INTEGER NOT NULL REFERENCES runs(id), name TEXT NOT NULL, repetition INTEGER NOT NULL,
  ops_per_sec REAL NOT NULL, handoff_ns REAL, PRIMARY KEY (run_id, name, repetition));
"""
# Version 1 to 2. The new columns go last, where SCHEMA has them too, so an
# upgraded history and a new one have the same layout.
UPGRADE_FROM_1 = ("ALTER TABLE runs ADD COLUMN context TEXT",
                  "ALTER TABLE points ADD COLUMN home TEXT",
                  "ALTER TABLE points ADD COLUMN sched TEXT",
                  "UPDATE meta SET value = '2' WHERE key = 'schema_version'")
POINT_COLUMNS = ("name", "family", "variant", "kind", "placement", "threads", "params",
                 "oversubscribed", "valid", "error", "repetitions", "median", "ci_low", "ci_high",
                 "home", "sched")
REPETITION_COLUMNS = ("name", "repetition", "ops_per_sec", "handoff_ns")


def machine_of(result_set, host=None):
    """Series from different machines are never mixed: host, CPU and arch.
    host replaces the file's host name (an ephemeral CI runner's)."""
    return " / ".join([host or result_set.context.get("host_name", "?"),
                       result_set.lockbench.get("cpu_model", "?"),
                       result_set.lockbench.get("arch", "?")])


def connect(path, create=False, read_only=False):
    """The history database at path. Made if absent only when create (history
    add, merge's output): a gate or a plot reading a mistyped path must not
    find an empty history that judges nothing. Refused when it is not a
    history or is damaged (SQLite's quick check), naming what was wrong. A
    version-1 history is upgraded in place, unless read_only (an input of
    merge, which is never written): then it is refused."""
    if not create and not os.path.isfile(path):
        raise ReportError(f"{path}: no such history; allowed: a history made by "
                          f"'scripts/report history add RESULTS.json --db {path}'")
    try:
        if create:
            db = sqlite3.connect(path, timeout=30)
        else:
            mode = "ro" if read_only else "rw"
            db = sqlite3.connect(f"file:{urllib.parse.quote(os.path.abspath(path))}?mode={mode}",
                                 uri=True, timeout=30)
        damage = db.execute("PRAGMA quick_check").fetchone()[0]
        if damage != "ok":
            raise ReportError(f"{path}: a damaged history (SQLite's quick check: {damage}); "
                              "allowed: an intact history (restore it from a copy)")
        if create:
            with db:
                db.executescript(SCHEMA)
                db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                           (str(HISTORY_VERSION),))
        version = _version(db)
        if version == "1" and read_only:
            raise ReportError(f"{path}: history schema version 1, which kept no run contexts; "
                              f"allowed: version {HISTORY_VERSION} (upgrade it in place with "
                              f"'scripts/report history merge {path} -o {path}')")
        if version == "1":
            with db:  # one transaction; a second writer upgrading at once waits, then skips
                db.execute("BEGIN IMMEDIATE")
                if _version(db) == "1":
                    for statement in UPGRADE_FROM_1:
                        db.execute(statement)
            version = _version(db)
    except sqlite3.DatabaseError as e:
        raise ReportError(f"{path}: not a lockbench history database ({e}); allowed: a "
                          "history made by 'scripts/report history add'") from e
    if version != str(HISTORY_VERSION):
        raise ReportError(f"{path}: history schema version {version}; this report "
                          f"reads version {HISTORY_VERSION}")
    return db


def _version(db):
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return row and row[0]


def run_count(db, machine=None):
    """How many runs the history holds (of one machine)."""
    if machine:
        return db.execute("SELECT COUNT(*) FROM runs WHERE machine = ?", (machine,)).fetchone()[0]
    return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]


@dataclass
class Run:
    """One run as the history stores it, wherever it comes from (a results
    file, another history)."""
    identity: tuple  # (machine, commit, start date, config)
    digest: str
    branch: str
    source: str
    context: str  # JSON; None for a run recorded by version 1
    points: list = field(default_factory=list)  # rows of POINT_COLUMNS
    repetitions: list = field(default_factory=list)  # rows of REPETITION_COLUMNS


def add(db, path, branch="", host=None):
    """Records one results file: "added", "already in the history", or
    "updated" (the same run, identified by machine, commit, start date and
    config, had been added while its sweep was still writing the file, or
    by version 1, without its context)."""
    results = load_results(path)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    points = collect_points([results])
    run = Run((machine_of(results, host), results.lockbench.get("git_revision", "?"),
               results.context.get("date", ""), config_of(results)),
              digest, branch, path, json.dumps(results.context),
              [_point_row(p) for p in points],
              [(p.name, i, value, probe) for p in points if p.valid
               for i, (value, probe) in enumerate(repetitions_of(p))])
    try:
        with db:  # one transaction: the run and all its points, or nothing
            # Taken before the lookup, so a second writer of the same run waits.
            db.execute("BEGIN IMMEDIATE")
            return store(db, run)
    except sqlite3.DatabaseError as e:
        if str(e) in MACHINE_FAILURES:
            raise  # the machine's failure, not the input's: reports.cli says so
        raise ReportError(f"{path}: not recorded ({e}); the history is unchanged") from e


def store(db, run):
    """Records a run inside the caller's transaction, as add describes; a
    run already held with the same digest changes nothing but its branch
    (when given), unless the history lacks its context."""
    known = db.execute("SELECT id, digest, branch, context IS NOT NULL FROM runs WHERE"
                       " machine = ? AND commit_hash = ? AND date = ? AND config = ?",
                       run.identity).fetchone()
    if known and known[1] == run.digest and (known[3] or run.context is None):
        if run.branch and run.branch != known[2]:
            db.execute("UPDATE runs SET branch = ? WHERE id = ?", (run.branch, known[0]))
            return f"already in the history; now a run of {run.branch}"
        return "already in the history"
    if known:
        run_id = known[0]
        db.execute("DELETE FROM points WHERE run_id = ?", (run_id,))
        db.execute("DELETE FROM repetitions WHERE run_id = ?", (run_id,))
        db.execute("UPDATE runs SET digest = ?, source = ?, branch = ?, context = ? WHERE id = ?",
                   (run.digest, run.source, run.branch or known[2], run.context, run_id))
    else:
        run_id = db.execute(
            "INSERT INTO runs (digest, machine, commit_hash, date, config, branch, source, context)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (run.digest, *run.identity, run.branch, run.source, run.context)).lastrowid
    db.executemany(_insert("points", POINT_COLUMNS), [(run_id, *row) for row in run.points])
    db.executemany(_insert("repetitions", REPETITION_COLUMNS),
                   [(run_id, *row) for row in run.repetitions])
    return "updated" if known else "added"


def _insert(table, columns):
    return (f"INSERT INTO {table} (run_id, {', '.join(columns)})"
            f" VALUES ({', '.join('?' * (len(columns) + 1))})")


def _point_row(point):
    """A point's row of POINT_COLUMNS."""
    values = point.values("ops_per_sec") if point.runs else np.array([])
    median = float(np.median(values)) if point.valid and len(values) else None
    interval = median_interval(values) if median is not None else None
    return (point.name, point.family, point.variant, point.kind, point.placement,
            point.threads, json.dumps(point.params, sort_keys=True), int(point.oversubscribed),
            int(point.valid), point.error or "", len(values), median,
            interval[0] if interval else None, interval[1] if interval else None,
            point.home, point.sched)


def repetitions_of(point):
    """[(ops/s, hand-off probe in ns or None)] of a point's valid repetitions."""
    return [(float(r["ops_per_sec"]), r.get("handoff_ns")) for r in point.runs]


@dataclass
class Entry:
    """One point in one run."""
    commit: str
    date: str
    valid: bool
    median: float
    ci_low: float
    ci_high: float
    oversubscribed: bool
    threads: int
    repetitions: list  # [(ops/s, handoff_ns or None)]


def series(db, machine=None, branch=None, kinds=None, config=None):
    """{(machine, family, point name): [Entry in date order]}, of the given
    variant kinds (all when None), of one config's runs (all when None: a
    point's figures depend on the config's window and warm-up)."""
    query = ("SELECT r.machine, p.family, p.name, r.commit_hash, r.date, p.valid, p.median,"
             " p.ci_low, p.ci_high, p.oversubscribed, p.threads, r.id FROM points p"
             " JOIN runs r ON r.id = p.run_id")
    where, args = [], []
    if machine:
        where.append("r.machine = ?")
        args.append(machine)
    if branch:
        where.append("r.branch = ?")
        args.append(branch)
    if config:
        where.append("r.config = ?")
        args.append(config)
    if kinds:
        where.append(f"p.kind IN ({', '.join('?' * len(kinds))})")
        args += list(kinds)
    if where:
        query += " WHERE " + " AND ".join(where)
    repetitions = {}
    for run_id, name, value, probe in db.execute(
            "SELECT run_id, name, ops_per_sec, handoff_ns FROM repetitions"
            " ORDER BY run_id, name, repetition"):
        repetitions.setdefault((run_id, name), []).append((value, probe))
    out = {}
    for m, family, name, commit, date, valid, median, low, high, over, threads, run_id in \
            db.execute(query + " ORDER BY r.date, r.id", args):
        out.setdefault((m, family, name), []).append(
            Entry(commit, date, bool(valid), median, low, high, bool(over), threads,
                  repetitions.get((run_id, name), [])))
    return out


def machines(db):
    return [m for (m,) in db.execute("SELECT DISTINCT machine FROM runs ORDER BY machine")]


def configs(db):
    """The configs of the history's runs, the most recently run last."""
    return [c for (c,) in db.execute("SELECT config FROM runs GROUP BY config ORDER BY MAX(date)")]


def config_of(result_set):
    return result_set.lockbench.get("config", {}).get("name", "?")


def machine_states(history, machine, more_probes=()):
    """The MachineStates of one machine's probes in the history (and more)."""
    return MachineStates([probe for (m, _, _), entries in history.items() if m == machine
                          for e in entries for _, probe in e.repetitions] + list(more_probes))
