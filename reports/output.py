"""Where a report is written: nothing half-written is ever left in it.

Every report command writes its files into a fresh directory beside the one
asked for (-o DIR); only when all of them are written are they moved into
DIR, each by a rename, replacing the files of an earlier report of the same
names and leaving other files in DIR alone. A failure on the way (a full
disk, a file where DIR should be) removes the fresh directory and leaves DIR
as it was, and says what failed, not how.
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
    parent = os.path.dirname(os.path.abspath(out_dir))
    try:
        os.makedirs(parent, exist_ok=True)
        staging = Staging(tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.", dir=parent),
                          out_dir)
    except OSError as e:
        raise OutputError(f"-o {out_dir}: cannot be written ({e.strerror})") from e
    try:
        yield staging
        staging.publish()
    except OSError as e:
        raise OutputError(f"-o {out_dir}: the report could not be written "
                          f"({e.strerror}: {e.filename}); {out_dir} is as it was") from e
    finally:
        shutil.rmtree(staging.path, ignore_errors=True)


class Staging:
    def __init__(self, path, out_dir):
        self.path = path
        self.out_dir = out_dir

    def final(self, path):
        """Where a file written under the staging directory ends up."""
        return os.path.join(self.out_dir, os.path.relpath(path, self.path))

    def publish(self):
        os.makedirs(self.out_dir, exist_ok=True)
        for root, _, files in os.walk(self.path):
            target = os.path.join(self.out_dir, os.path.relpath(root, self.path))
            os.makedirs(target, exist_ok=True)
            for name in files:
                os.replace(os.path.join(root, name), os.path.join(target, name))
