"""Grouping result entries into points, and their statistics over repetitions."""

import json
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Point:
    family: str
    variant: str
    role: str
    placement: str
    threads: int
    params: dict
    source: str  # the results file
    name: str  # the run name, the same for the same point in any file
    runs: list = field(default_factory=list)  # valid iteration entries
    error: str = ""  # set when any repetition failed

    @property
    def valid(self):
        return not self.error and bool(self.runs)

    def values(self, key, subkey=None):
        """Per-repetition values of a measurement (subkey for nested objects)."""
        return np.array([r[key][subkey] if subkey else r[key] for r in self.runs], dtype=float)

    def median(self, key, subkey=None):
        return float(np.median(self.values(key, subkey)))

    def spread(self, key, subkey=None):
        """(median - min, max - median): the error bar over repetitions."""
        return median_spread(self.values(key, subkey))[1]


def median_spread(values):
    """The median of repetitions and its error bar (median - min, max - median)."""
    v = np.asarray(values, dtype=float)
    m = float(np.median(v))
    return m, (m - float(v.min()), float(v.max()) - m)


def series_key(point):
    """Points of one curve share everything but the thread count."""
    return (point.source, point.family, point.variant, point.placement,
            json.dumps(point.params, sort_keys=True))


def collect_points(result_sets):
    """Points from every file's iteration entries, keyed by file and name."""
    points = {}
    for rs in result_sets:
        for e in rs.entries:
            if e.get("run_type") != "iteration":
                continue
            key = (rs.path, e["run_name"])
            p = points.get(key)
            if p is None:
                p = points[key] = Point(e["family"], e["variant"], e["role"], e["placement"],
                                        e["threads"], e["params"], rs.path, e["run_name"])
            if e.get("valid"):
                p.runs.append(e)
            else:
                p.error = e.get("error") or "failed"
    return list(points.values())


def varying_params(points):
    """Parameter names whose value differs between the given points."""
    names = set()
    for p in points:
        names.update(p.params)
    return sorted(n for n in names if len({json.dumps(p.params.get(n)) for p in points}) > 1)
