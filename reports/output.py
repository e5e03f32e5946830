"""Where a report is written: nothing half-written is ever left in it.

Every report command writes its files into a fresh hidden directory inside
the one asked for (-o DIR, made if absent), on DIR's own file system; only
when all of them are written are they moved into DIR, each by a rename,
replacing the files of an earlier report of the same names and leaving
other files in DIR alone. A failure while writing (a full disk) removes the
hidden directory, and DIR and the directories made for it when they were
not there before, and says what failed, not how: DIR is as it was. Inputs
are read before a report's directory is made, so a refused input leaves
nothing behind either.
"""

import os
import shutil
import tempfile
from contextlib import contextmanager


class OutputError(Exception):
    """The report could not be written; the message names the path and why."""


@contextmanager
def report_dir(out_dir):
    """Yields a Staging whose .path the report is written into; on success its
    files are moved into out_dir. Raises OutputError when that cannot be done."""
    out_dir = os.path.normpath(out_dir)
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise OutputError(f"-o {out_dir}: is a file; allowed: a directory (made if absent)")
    made = _missing_ancestors(out_dir)
    try:
        os.makedirs(out_dir, exist_ok=True)
        staging = Staging(tempfile.mkdtemp(prefix=".staging.", dir=out_dir), out_dir)
    except OSError as e:
        _remove_empty(made)
        raise OutputError(f"-o {out_dir}: cannot be written ({e.strerror})") from e
    publishing = False
    try:
        yield staging
        publishing = True
        staging.publish()
    except OSError as e:
        shutil.rmtree(staging.path, ignore_errors=True)
        _remove_empty(made)
        state = (f"some of its files in {out_dir} are new, the others as they were" if publishing
                 else f"{out_dir} is as it was")
        raise OutputError(f"-o {out_dir}: the report could not be written "
                          f"({e.strerror}: {e.filename}); {state}") from e
    finally:
        shutil.rmtree(staging.path, ignore_errors=True)


def _missing_ancestors(path):
    """out_dir and those of its parents that do not exist yet, deepest first."""
    missing = []
    path = os.path.abspath(path)
    while not os.path.exists(path):
        missing.append(path)
        path = os.path.dirname(path)
    return missing


def _remove_empty(directories):
    for d in directories:
        try:
            os.rmdir(d)
        except OSError:
            break


class Staging:
    def __init__(self, path, out_dir):
        self.path = path
        self.out_dir = out_dir

    def final(self, path):
        """Where a file written under the staging directory ends up."""
        return os.path.join(self.out_dir, os.path.relpath(path, self.path))

    def publish(self):
        for root, _, files in os.walk(self.path):
            target = os.path.join(self.out_dir, os.path.relpath(root, self.path))
            os.makedirs(target, exist_ok=True)
            for name in files:
                os.replace(os.path.join(root, name), os.path.join(target, name))
