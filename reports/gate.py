"""scripts/report compare --history DB CANDIDATE: each point of the candidate
against the recent distribution of the same point on the same machine (the
last N runs of a branch in the history), not against one baseline file.

Values are compared as if measured in one machine state
(reports/machine_state.py): a VM's host moving its vCPUs farther apart
makes every point with cross-CPU traffic slower, each by its own factor,
for minutes, and that is neither the code's regression nor the history's.
Every history run counts with what it measured in each state: a point has
a level in each state at least MIN_RUNS of its runs measured, and a run is
valued repetition by repetition in the point's usual state, whether it
measured one state, several, or one only some runs saw; only repetitions
in a state without a level are left out. A candidate measured only in such
states is not judged, and says so.

How unusual a candidate's value is: its robust z, the distance from the
history runs' median value in units of their scatter (the robust spread
of the logarithms, uncertainty.robust_spread; never below MIN_SPREAD, so a
very quiet history does not make noise look significant), widened by the
uncertainty of a median of few runs. A point regressed when its change is
both beyond the threshold and its z below -z_limit; a point that failed its
invariants where the history has valid runs regressed too. Fewer than
MIN_HISTORY valid runs of a point, or fewer than MIN_VALUED of them valued,
judge nothing.

Points with more threads than CPUs are not gated unless asked
(oversubscribed): their run-to-run spread is the scheduler's, often bimodal
between runs, and a robust z over ten runs mistakes the rarer mode for a
regression; the trend plot still draws them.

A shared machine has other disturbances than the hand-off state, as local in
time: a noisy neighbour slowed every one-thread point of two families by
20-64% for a minute of one run in twelve. So a regression can be measured
again (scripts/regression does, with the selection recheck.txt lists) and
judged a second time (rechecks): it counts only when the second measurement
regressed too. A second measurement in a machine state the point's history
has too few runs of confirms nothing; a real regression missed so shows in
the history's change points once the run is recorded.

A gate never passes on nothing: how many of the candidate's points within
the CPUs were judged is said with the verdict, marked when it is below
JUDGED_ENOUGH, and a candidate of which no point was judged has no verdict
("nothing compared").
"""

import html
import math
import os
from dataclasses import dataclass

import numpy as np

from reports.history import (config_of, machine_of, machine_states, repetitions_of, run_count,
                             series)
from reports.judgements import Outcome, Unjudged, Verdict
from reports.load import ReportError
from reports.machine_state import MIN_RUNS, PointLevels
from reports.points import collect_points
from reports.uncertainty import robust_spread

MIN_HISTORY = 5
MIN_VALUED = 3  # history runs valued in states with a level
MIN_SPREAD = 0.02  # in natural log units: about 2%
JUDGED_ENOUGH = 0.8  # of the points within the CPUs; fewer is marked
UNJUDGED = {  # why not judged: what the summary says of such points
    Unjudged.TOO_LITTLE_HISTORY: f"have fewer than {MIN_HISTORY} valid runs in the history",
    Unjudged.OVERSUBSCRIBED: "are oversubscribed (scheduler-bound): not gated; see the trend plot, "
                      "or --oversubscribed",
    Unjudged.STATE_NOT_IN_HISTORY: "were measured only in machine states (hand-off "
                                        f"probe) fewer than {MIN_RUNS} of the point's "
                                        "history runs measured, or the history has fewer than "
                                        f"{MIN_VALUED} runs in states that did",
    Unjudged.FAILED_IN_HISTORY_TOO: "failed their invariants here and have no valid run in "
                                      "the history",
}


@dataclass
class GateSettings:
    threshold: float = 0.10  # the smallest relative change that counts
    z_limit: float = 4.0  # how unusual for the history, in robust z
    last: int = 10  # recent runs that form the baseline
    branch: str = "main"  # whose runs; "" for all
    host: str = None  # the name the history knows this machine by
    oversubscribed: bool = False  # gate oversubscribed points too


@dataclass
class Judged:
    name: str
    history_median: float  # as in the point's usual machine state
    history_runs: int
    candidate: float  # likewise
    change: float
    z: float
    verdict: Verdict | Unjudged
    selection: list  # lockbench run arguments that measure the point again
    oversubscribed: bool = False
    again: float = None  # the change measured again (rechecks); None: not, or in no known state

    @property
    def judged(self):
        return not isinstance(self.verdict, Unjudged)


@dataclass
class Shift:
    """A run against the history's runs, all valued in the point's usual state."""
    change: float  # relative
    z: float
    history_median: float
    value: float


class PointHistory:
    """A point's history runs, each valued as if measured in the point's
    usual machine state (machine_state.PointLevels): the logarithms of those
    values, their scatter, and a candidate's shift from their median."""

    def __init__(self, states, runs):
        self.recorded = len(runs)
        self.levels = PointLevels(states, runs)
        self.values = [math.log(v) for v in map(self.levels.normalized, runs) if v]
        if self.values:
            scatter = robust_spread(np.subtract(self.values, np.median(self.values)))
            # The median of n runs is itself uncertain: about pi/2n of a run's variance.
            self.spread = (max(scatter, MIN_SPREAD) *
                           math.sqrt(1 + math.pi / (2 * len(self.values))))

    def shift(self, reps):
        """The Shift of a run's repetitions [(value, probe)] from the history's
        runs, or None when it measured no state with a level, or too few
        history runs did."""
        value = self.levels.normalized(reps)
        if value is None or len(self.values) < MIN_VALUED:
            return None
        usual = float(np.median(self.values))
        # A run in which nothing completed counts as 1 operation per second.
        log_shift = math.log(max(value, 1.0)) - usual
        return Shift(math.expm1(log_shift), log_shift / self.spread, math.exp(usual), value)


def selection_args(point):
    """The arguments of `lockbench run --config CONFIG` that measure one point."""
    args = ["--family", point.family, "--variant", point.variant, "--threads",
            str(point.threads), "--placement", point.placement, "--home", point.home,
            "--sched", point.sched]
    for key, value in sorted(point.params.items()):
        args += ["--set", f"{key}={value}"]
    return args


def _verdict(shift, settings):
    if shift.change < -settings.threshold and shift.z < -settings.z_limit:
        return Verdict.REGRESSION
    if shift.change > settings.threshold and shift.z > settings.z_limit:
        return Verdict.IMPROVEMENT
    return Verdict.SAME


def judge_against_history(db, candidate, settings, rechecks=()):
    """([Judged], [(name, error)] newly failing, machine, MachineStates).
    rechecks: results files that measured regressed points again."""
    machine = machine_of(candidate, settings.host)
    history = series(db, machine=machine, branch=settings.branch or None,
                     config=config_of(candidate))
    points = collect_points([candidate])
    again = {p.name: p for p in collect_points(rechecks)}
    # With the second measurement's probes: one in a state never seen must
    # form a state of its own, not join the nearest (it confirms nothing).
    states = machine_states(history, machine,
                            [probe for p in [*points, *again.values()]
                             for _, probe in repetitions_of(p)])
    judged, failed = [], []
    for p in points:
        entries = [e for e in history.get((machine, p.family, p.name), [])
                   if e.valid and e.median and e.median > 0][-settings.last:]
        if not p.valid:
            if entries:
                failed.append((p.name, p.error))
            else:
                judged.append(Judged(p.name, math.nan, 0, math.nan, math.nan, math.nan,
                                     Unjudged.FAILED_IN_HISTORY_TOO, selection_args(p),
                                     p.oversubscribed))
            continue
        past = PointHistory(states, [e.repetitions for e in entries])
        j = Judged(p.name, math.nan, len(past.values), p.median("ops_per_sec"), math.nan,
                   math.nan, "", selection_args(p), p.oversubscribed)
        shift = past.shift(repetitions_of(p))
        if p.oversubscribed and not settings.oversubscribed:
            j.verdict = Unjudged.OVERSUBSCRIBED
        elif past.recorded < MIN_HISTORY:
            j.verdict = Unjudged.TOO_LITTLE_HISTORY
        elif shift is None:
            j.verdict = Unjudged.STATE_NOT_IN_HISTORY
        else:
            j.history_median, j.candidate, j.change, j.z = (shift.history_median, shift.value,
                                                            shift.change, shift.z)
            j.verdict = _verdict(shift, settings)
        if j.verdict == Verdict.REGRESSION and p.name in again:
            second = again[p.name]
            if not second.valid:
                failed.append((p.name, f"measured again: {second.error}"))
                continue
            second_shift = past.shift(repetitions_of(second))
            j.again = second_shift and second_shift.change
            if second_shift is None or _verdict(second_shift, settings) != Verdict.REGRESSION:
                j.verdict = Verdict.NOT_CONFIRMED
        judged.append(j)
    return judged, failed, machine, states


@dataclass
class Gate:
    text: str  # compare.md
    judged: int  # points judged (newly failing ones included)
    regressed: bool


def write_history_gate(db, db_name, candidate, out_dir, settings, rechecks=()):
    """Writes compare.md, index.html and recheck.txt (the selection of each
    regressed point, a line each) into out_dir; returns the Gate. An empty
    history is refused: it can only be a mistake."""
    if not run_count(db):
        raise ReportError(f"{db_name}: a history without runs; allowed: a history with runs "
                          "of the candidate's machine (scripts/report history add)")
    judged, failed, machine, states = judge_against_history(db, candidate, settings, rechecks)
    probes = [probe for p in collect_points([candidate]) for _, probe in repetitions_of(p)]
    lines = [f"History check on {machine}: each point against its last {settings.last} runs"
             f"{f' on {settings.branch}' if settings.branch else ''}; a change beyond "
             f"{settings.threshold:.0%} with a robust z beyond {settings.z_limit:g} counts"
             f"{', if measuring it again confirms it' if rechecks else ''}. Values as if measured "
             f"in each point's usual machine state; the candidate's hand-off probes: "
             f"{states.describe(probes) or 'none'}.", ""]
    notable = [j for j in judged if j.verdict in (Verdict.REGRESSION, Verdict.IMPROVEMENT,
                                                Verdict.NOT_CONFIRMED)]
    if notable:
        lines += ["| point | history median (runs) | candidate | change | robust z | "
                  "measured again | verdict |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {j.name} | {j.history_median:.4g} ({j.history_runs}) | {j.candidate:.4g} |"
                  f" {j.change:+.1%} | {j.z:+.1f} | "
                  f"{'-' if j.again is None else f'{j.again:+.1%}'} |"
                  f" {j.verdict} |" for j in notable]
    for reason, why in UNJUDGED.items():
        count = sum(j.verdict == reason for j in judged)
        if count:
            lines.append(f"- {count} points {why}: not judged")
    for name, error in failed:
        lines.append(f"- FAILED in the candidate: {name}: {error}")
    regressions = [j for j in judged if j.verdict == Verdict.REGRESSION]
    regressed = bool(regressions or failed)
    coverage, few = _coverage(judged, failed)
    count = sum(j.judged for j in judged) + len(failed)
    outcome = Outcome.of(count, regressed)
    counts = {v: sum(j.verdict == v for j in judged) for v in Verdict}
    lines += ["", f"**{outcome}**; {'🔴 ' if few else ''}**{coverage}**: {len(regressions)} "
              f"regressions ({len(failed)} newly failing points), "
              f"{counts[Verdict.NOT_CONFIRMED]} not confirmed when measured again, "
              f"{counts[Verdict.IMPROVEMENT]} improvements."]
    text = "\n".join(lines) + "\n"
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "compare.md"), "w", encoding="utf-8") as f:
        f.write(text)
    _write_page(out_dir, outcome, coverage, few, text)
    with open(os.path.join(out_dir, "recheck.txt"), "w", encoding="utf-8") as f:
        f.writelines(" ".join(j.selection) + "\n" for j in regressions)
    return Gate(text, count, regressed)


def _coverage(judged, failed):
    """("42 of 46 points within the CPUs judged (91%)", whether that is too few)."""
    within = [j for j in judged if not j.oversubscribed]
    counted = sum(j.judged for j in within) + len(failed)
    total = len(within) + len(failed)
    if not total:
        return "no point within the CPUs", False
    return (f"{counted} of {total} points within the CPUs judged ({counted / total:.0%})",
            counted / total < JUDGED_ENOUGH)


def _write_page(out_dir, outcome, coverage, few, text):
    heading = "#c00" if outcome != Outcome.NO_REGRESSION else "#070"
    colour = "#c00" if few else heading
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>lockbench history check</title></head>
<body style="font-family:sans-serif;margin:2em;max-width:1200px">
<h1 style="color:{heading}">{html.escape(outcome)}</h1>
<p style="font-size:1.4em;color:{colour}"><b>{html.escape(coverage)}</b>
{'(fewer than ' + format(JUDGED_ENOUGH, '.0%') + ': the verdict says little)' if few else ''}</p>
<pre>{html.escape(text)}</pre></body></html>
"""
    with open(os.path.join(out_dir, "index.html"), "w", encoding="utf-8") as f:
        f.write(page)
