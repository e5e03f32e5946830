"""Scaling laws per curve: the curves of results files, the law (reports.usl)
fitted where it describes them, said not to where it does not, and what a
curve loses crossing each level of the machine.

A curve is the points of one results file with the same family, variant,
placement and settings (parameters, home, sched), valid and within the CPUs
(oversubscribed points measure the scheduler), over threads. The rules of
the verdicts are in docs/scaling-laws.md.
"""

import json
from dataclasses import dataclass, field

import numpy as np

from reports import usl
from reports.machine import thread_boundaries
from reports.points import collect_points

MIN_COUNTS = 4  # a law of three parameters needs a count to spare
ALPHA = 0.01  # the lack-of-fit test's level
MATERIAL = 0.10  # a count's mean this far off the law matters (compare's threshold)
# Where compact placement fills a level is where the levels are crossed;
# other placements cross them at other counts (scatter at 2 threads).
CROSSING_PLACEMENT = "compact"


@dataclass
class Crossing:
    """Throughput at the first count past a boundary against the law fitted
    within it: change = observed / predicted - 1 (negative: lost)."""
    threads: int  # a compact placement has just filled `what` here
    what: str
    past: int  # the first count measured past it
    change: float
    interval: tuple = None  # 95%, bootstrap; None without repetitions
    law: usl.Law = None  # fitted to the counts within the boundary


@dataclass
class CurveFit:
    family: str
    variant: str
    kind: str
    placement: str
    settings: dict  # parameters, home, sched
    params_text: str  # the settings that differ from the defaults ("cs_ns:0")
    source: str  # the results file
    machine: str  # its name in tables
    threads: list  # the counts within the CPUs
    repetitions: int = 0  # the fewest at any count
    law: usl.Law = None  # over every count, where the law describes them
    reason: str = ""  # why there is no law ("" where there is)
    crossings: list = field(default_factory=list)

    @property
    def inner(self):
        """The first Crossing: its law is the curve's within one cache,
        node or package; None where no boundary is crossed."""
        return self.crossings[0] if self.crossings else None

    @property
    def fits(self):
        return self.law is not None

    @property
    def key(self):
        return self.source, self.family, self.variant, self.placement, settings_text(self.settings)


def settings_text(settings):
    return json.dumps(settings, sort_keys=True)


def point_key(point):
    """The key of the curve a point belongs to (CurveFit.key)."""
    return (point.source, point.family, point.variant, point.placement,
            settings_text(point.settings))


def fit_curves(result_sets, machines=None, resamples=usl.BOOTSTRAP_RESAMPLES, seed=0):
    """A CurveFit per curve with a point within the CPUs, sorted by family,
    placement, settings, variant and machine. machines: {path: name}
    (default: the file's path)."""
    machines = machines or {}
    boundaries = {rs.path: thread_boundaries([rs]) for rs in result_sets}
    curves = {}
    for p in collect_points(result_sets):
        if p.valid and not p.oversubscribed:
            curves.setdefault(point_key(p), []).append(p)
    out = []
    for points in curves.values():
        points.sort(key=lambda p: p.threads)
        first = points[0]
        curve = CurveFit(first.family, first.variant, first.kind, first.placement,
                         first.settings, first.params_text, first.source, machines.get(first.source, first.source),
                         [p.threads for p in points], min(len(p.runs) for p in points))
        reps = [p.values("ops_per_sec") for p in points]
        _fit(curve, reps, first.checked,
             boundaries[first.source] if first.placement == CROSSING_PLACEMENT else [],
             resamples, seed)
        out.append(curve)
    return sorted(out, key=lambda c: (c.family, c.placement, settings_text(c.settings),
                                      c.variant, c.machine))


def _fit(curve, reps, checked, boundaries, resamples, seed):
    counts = curve.threads
    if not checked:
        curve.reason = ("built with the in-window checks compiled out (LOCKBENCH_CHECKS=OFF): "
                        "its invariants were not all judged")
        return
    if len(counts) < MIN_COUNTS:
        curve.reason = f"too few thread counts within the CPUs to fit ({len(counts)})"
        return
    empty = [t for t, r in zip(counts, reps) if np.any(r <= 0)]
    if empty:
        curve.reason = f"a repetition at {empty[0]} threads measured no operations"
        return
    law = usl.fit(counts, reps, resamples, seed)
    curve.reason = misfit(counts, reps, law, boundaries)
    curve.law = None if curve.reason else law
    curve.crossings = crossings(counts, reps, boundaries, resamples, seed)


def misfit(counts, reps, law, boundaries=()):
    """"" where the law describes the curve; else where it breaks. It does
    not when a count's mean is more than MATERIAL off the law and the
    misfit is beyond the repetitions' own scatter (lack-of-fit p < ALPHA;
    with one repetition per count, size alone judges)."""
    off = [usl.geometric_mean(r) / law(t) - 1 for t, r in zip(counts, reps)]
    p_value = usl.lack_of_fit(counts, reps, law)
    if max(abs(o) for o in off) <= MATERIAL or (p_value is not None and p_value >= ALPHA):
        return ""
    return "the law does not describe it: " + where_it_breaks(counts, reps, law, boundaries)


def where_it_breaks(counts, reps, law, boundaries):
    """The step between neighbouring counts that the law misses most:
    "throughput falls 38% from 24 to 32 threads (crossing 24: one
    package), where the law has it rise 3%"."""
    means = [usl.geometric_mean(r) for r in reps]
    steps = [(np.log(means[i + 1] / means[i]) - np.log(law(counts[i + 1]) / law(counts[i])), i)
             for i in range(len(counts) - 1)]
    _, i = max(steps, key=lambda s: abs(s[0]))
    a, b = counts[i], counts[i + 1]
    across = "; ".join(f"crossing {threads}: {what}" for threads, what in boundaries
                       if a <= threads < b)
    return (f"throughput {_moves(means[i + 1] / means[i] - 1)} from {a} to {b} threads"
            + (f" ({across})" if across else "")
            + f", where the law has it {_move(law(b) / law(a) - 1)}")


def _moves(change):
    return f"{'rises' if change >= 0 else 'falls'} {abs(change):.0%}"


def _move(change):
    return f"{'rise' if change >= 0 else 'fall'} {abs(change):.0%}"


def crossings(counts, reps, boundaries, resamples, seed):
    """A Crossing per boundary with MIN_COUNTS counts within it, one past it,
    and a law that describes the counts within it."""
    out = []
    for threads, what in boundaries:
        inside = [i for i, t in enumerate(counts) if t <= threads]
        if len(inside) < MIN_COUNTS or len(inside) == len(counts):
            continue
        inner_counts = [counts[i] for i in inside]
        inner_reps = [reps[i] for i in inside]
        law = usl.fit(inner_counts, inner_reps, resamples, seed)
        if misfit(inner_counts, inner_reps, law):
            continue
        past = len(inside)
        change = usl.geometric_mean(reps[past]) / law(counts[past]) - 1
        interval = None
        if len(law.refits):
            observed = [usl.geometric_mean(drawn[0])
                        for drawn in usl.resample([reps[past]], len(law.refits), seed + 1)]
            predicted = usl.throughput(counts[past], *law.refits.T)
            interval = usl.percentile_interval(np.array(observed) / predicted - 1)
        out.append(Crossing(threads, what, counts[past], float(change), interval, law))
    return out
