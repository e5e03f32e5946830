"""scripts/report history merge A.db B.db... -o DB: histories recorded on
different machines (CI runners of several kinds, an x86 box and an ARM box)
joined into one.

Each input's runs are stored in DB as `history add` stores a results file
(reports/history.py store): a run is identified by machine, commit, start
date and config, so a run DB already holds with the same digest changes
nothing, one with another digest (it grew) replaces DB's, and the machine is
part of the identity: two machines' series never become one. Merging the
same inputs again, or an input into itself, changes nothing.

Every input is checked (a history of this version, intact) before DB is
opened, and all of them are merged in one transaction: a refused input or a
failure leaves DB as it was, and a DB made for the merge is removed.
"""

import os
import sqlite3
from collections import Counter

from reports import history
from reports.load import ReportError

RUN_COLUMNS = ("id", "machine", "commit_hash", "date", "config", "digest", "branch", "source",
               "context")


def merge_histories(inputs, out_path):
    """Merges the histories at inputs into out_path (made if absent); returns
    [(input, Counter of what `store` said of its runs)], the Counter None
    for out_path itself as an input: it holds each of its runs already."""
    sources = [(path, None if _same_file(path, out_path)
                else history.connect(path, read_only=True)) for path in inputs]
    made = not os.path.exists(out_path)
    try:
        db = history.connect(out_path, create=True)
        try:
            with db:  # one transaction for every input: all of them, or nothing
                db.execute("BEGIN IMMEDIATE")
                return [(path, None if source is None else
                         Counter(history.store(db, run) for run in runs_of(source)))
                        for path, source in sources]
        except sqlite3.DatabaseError as e:
            if str(e) in history.MACHINE_FAILURES:
                raise
            raise ReportError(f"-o {out_path}: not merged ({e}); it is unchanged") from e
        finally:
            db.close()
    except BaseException:
        if made and os.path.exists(out_path):
            os.remove(out_path)
        raise


def runs_of(db):
    """Every run of a history, with its points and repetitions, one at a time."""
    for row in db.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY date, id"):
        run_id, machine, commit, date, config, digest, branch, source, context = row
        yield history.Run(
            (machine, commit, date, config), digest, branch or "", source, context,
            db.execute(f"SELECT {', '.join(history.POINT_COLUMNS)} FROM points WHERE run_id = ?",
                       (run_id,)).fetchall(),
            db.execute(f"SELECT {', '.join(history.REPETITION_COLUMNS)} FROM repetitions"
                       " WHERE run_id = ?", (run_id,)).fetchall())


def _same_file(path, other):
    return os.path.exists(path) and os.path.exists(other) and os.path.samefile(path, other)
