"""Grouping result entries into points, and their statistics over repetitions."""

import json
from dataclasses import dataclass, field

import numpy as np

from reports.uncertainty import median_interval


@dataclass
class Point:
    family: str
    variant: str
    kind: str  # the variant's: global, scalable, reference or broken
    placement: str
    threads: int
    params: dict
    source: str  # the results file
    name: str  # the run name, the same for the same point in any file
    runs: list = field(default_factory=list)  # valid iteration entries
    error: str = ""  # set when any repetition failed
    oversubscribed: bool = False  # more threads than the CPUs its placement has
    stability: str = ""  # the harness's verdict (median entry), "" when not given
    home: str = "first"  # where its shared state lives: first, node:N, far, interleave
    sched: str = "other"  # its threads' scheduling policy: other (SCHED_OTHER) or rr (SCHED_RR)
    checked: bool = True  # False: its build compiled the in-window checks out

    @property
    def settings(self):
        """What tells points of a variant and thread count apart: the
        parameters, the home of the shared state (a point at home:far is
        not the point at home:first) and the scheduling policy."""
        return {**self.params, "home": self.home, "sched": self.sched}

    @property
    def regime(self):
        """Within the CPUs or oversubscribed, with the scheduling policy where
        it decides who runs (oversubscribed) or is not the default."""
        if self.oversubscribed:
            return f"oversubscribed, sched {self.sched}"
        return "within CPUs" + (f", sched {self.sched}" if self.sched != "other" else "")

    @property
    def valid(self):
        return not self.error and bool(self.runs)

    def values(self, key, subkey=None):
        """Per-repetition values of a measurement (subkey for nested objects)."""
        return np.array([r[key][subkey] if subkey else r[key] for r in self.runs], dtype=float)

    def median(self, key, subkey=None):
        return float(np.median(self.values(key, subkey)))

    def spread(self, key, subkey=None):
        """The error bar of the median (see median_spread)."""
        return median_spread(self.values(key, subkey))[1]

    @property
    def params_text(self):
        """The parameters that differ from the family's defaults, as the run
        name lists them ("cs_ns:0, ncs_ns:0"), or ""."""
        parts = self.name.split("/")[2:]
        return ", ".join(p for p in parts if not p.startswith(("placement:", "threads:")))


def median_spread(values):
    """The median of repetitions and its error bar (median - low, high - median):
    the median's 95% interval, or min-max below the 6 repetitions one needs."""
    v = np.asarray(values, dtype=float)
    m = float(np.median(v))
    low, high = median_interval(v) or (float(v.min()), float(v.max()))
    return m, (m - low, high - m)


def collect_points(result_sets):
    """Points from every file's iteration entries, keyed by file and name."""
    points = {}
    for rs in result_sets:
        for e in rs.entries:
            key = (rs.path, e["run_name"])
            if e.get("run_type") == "aggregate":
                if e.get("aggregate_name") == "median" and key in points:
                    points[key].stability = e.get("stability", "")
                continue
            p = points.get(key)
            if p is None:
                p = points[key] = Point(e["family"], e["variant"], e["kind"], e["placement"],
                                        e["threads"], e["params"], rs.path, e["run_name"],
                                        oversubscribed=e.get("oversubscribed", False),
                                        home=e.get("home", "first"),
                                        sched=e.get("sched", "other"),
                                        checked=rs.lockbench.get("checks", "on") != "off")
            if e.get("valid"):
                p.runs.append(e)
            else:
                p.error = e.get("error") or "failed"
    return list(points.values())


def varying_params(points):
    """Names of the settings (parameters, home, sched) whose value differs between
    the given points."""
    names = set()
    for p in points:
        names.update(p.settings)
    return sorted(n for n in names if len({json.dumps(p.settings.get(n)) for p in points}) > 1)
