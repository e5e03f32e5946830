"""scripts/report compare --history DB CANDIDATE: each point of the candidate
against the recent distribution of the same point on the same machine (the
last N runs of a branch in the history), not against one baseline file.
Runs are compared as if measured in the point's usual machine state
(reports/machine_state.py): a VM's host moving its vCPUs farther apart makes
every point with cross-CPU traffic slower, each by its own factor, for
minutes, and that is neither the code's regression nor the history's. A
candidate measured only in a state the point's history has too few runs of
is not judged, and says so.

Points with more threads than CPUs are not gated unless asked
(oversubscribed): their run-to-run spread is the scheduler's, often bimodal
between runs, and a robust z over ten runs mistakes the rarer mode for a
regression; the trend plot still draws them.

A point regressed when its value is both beyond the threshold below the
history's median and unusual for the history: its robust z, the distance
of the logarithms in units of the history's scaled median absolute
deviation (1.4826 MAD; never below MIN_SPREAD, so a very quiet history does
not make noise look significant), is below -z_limit. A point that failed its
invariants where the history has valid runs regressed too. Fewer than
MIN_HISTORY valid runs of a point judge nothing.

A shared machine has other disturbances than the hand-off state, as local in
time: a noisy neighbour slowed every one-thread point of two families by
20-64% for a minute of one run in twelve. So a regression can be measured
again (scripts/regression does, with the selection recheck.txt lists) and
judged a second time (rechecks): it counts only when the second measurement
regressed too. A second measurement in a machine state the point's history
has no level for confirms nothing; a real regression missed so shows in the
history's change points once the run is recorded.
"""

import math
import os
from dataclasses import dataclass

import numpy as np

from reports.history import config_of, machine_of, machine_states, repetitions_of, series
from reports.machine_state import PointLevels
from reports.points import collect_points

MIN_HISTORY = 5
MIN_SPREAD = 0.02  # in natural log units: about 2%
UNJUDGED = {
    "too little history": f"have fewer than {MIN_HISTORY} valid runs in the history",
    "oversubscribed": "are oversubscribed (scheduler-bound): not gated; see the trend plot, "
                      "or --oversubscribed",
    "machine state not in the history": "were measured in a machine state (hand-off probe) "
                                        "the point's history has too few runs of",
}
NOT_CONFIRMED = "not confirmed"


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
    history_median: float
    history_runs: int
    candidate: float
    change: float
    z: float
    verdict: str  # regression, improvement, same, NOT_CONFIRMED, or why not judged (UNJUDGED)
    selection: list  # lockbench run arguments that measure the point again
    again: float = None  # the value measured again (rechecks); None: not, or in no known state


def robust_z(history, value):
    if value <= 0:  # no operation completed: as unusual as it gets
        return -math.inf
    logs = np.log(np.asarray(history, dtype=float))
    centre = float(np.median(logs))
    spread = max(1.4826 * float(np.median(np.abs(logs - centre))), MIN_SPREAD)
    return (math.log(value) - centre) / spread


def selection_args(point):
    """The arguments of `lockbench run --config CONFIG` that measure one point."""
    args = ["--family", point.family, "--variant", point.variant, "--threads",
            str(point.threads), "--placement", point.placement]
    for key, value in sorted(point.params.items()):
        args += ["--set", f"{key}={value}"]
    return args


def _verdict(medians, value, settings):
    """(history median, change, robust z, verdict) of a value against the
    history's values."""
    centre = float(np.median(medians))
    change = value / centre - 1
    z = robust_z(medians, value)
    if change < -settings.threshold and z < -settings.z_limit:
        return centre, change, z, "regression"
    if change > settings.threshold and z > settings.z_limit:
        return centre, change, z, "improvement"
    return centre, change, z, "same"


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
                   if e.valid and e.median and e.median > 0]
        levels = PointLevels(states, [e.repetitions for e in entries])
        medians = [v for v in (levels.normalized(e.repetitions) for e in entries[-settings.last:])
                   if v is not None]
        if not p.valid:
            if medians:
                failed.append((p.name, p.error))
            continue
        value = levels.normalized(repetitions_of(p))
        j = Judged(p.name, math.nan, len(medians), p.median("ops_per_sec"), math.nan, math.nan,
                   "", selection_args(p))
        if p.oversubscribed and not settings.oversubscribed:
            j.verdict = "oversubscribed"
        elif len(medians) < MIN_HISTORY:
            j.verdict = "too little history"
        elif value is None:
            j.verdict = "machine state not in the history"
        else:
            j.candidate = value
            j.history_median, j.change, j.z, j.verdict = _verdict(medians, value, settings)
        if j.verdict == "regression" and p.name in again:
            second = again[p.name]
            if not second.valid:
                failed.append((p.name, f"measured again: {second.error}"))
                continue
            # Measured again in a state the point's history has no level
            # for, it cannot confirm anything either.
            j.again = levels.normalized(repetitions_of(second))
            if j.again is None or _verdict(medians, j.again, settings)[3] != "regression":
                j.verdict = NOT_CONFIRMED
        judged.append(j)
    return judged, failed, machine, states


def write_history_gate(db, candidate, out_dir, settings, rechecks=()):
    """Writes compare.md, and recheck.txt (the selection of each regressed
    point, a line each), into out_dir; returns (regressed, Markdown text)."""
    judged, failed, machine, states = judge_against_history(db, candidate, settings, rechecks)
    probes = [probe for p in collect_points([candidate]) for _, probe in repetitions_of(p)]
    lines = [f"History check on {machine}: each point against its last {settings.last} runs"
             f"{f' on {settings.branch}' if settings.branch else ''}; a change beyond "
             f"{settings.threshold:.0%} with a robust z beyond {settings.z_limit:g} counts"
             f"{', if measuring it again confirms it' if rechecks else ''}. Values as if "
             f"measured in each point's usual machine state; the candidate's hand-off probes: "
             f"{states.describe(probes) or 'none'}.", ""]
    notable = [j for j in judged if j.verdict in ("regression", "improvement", NOT_CONFIRMED)]
    if notable:
        lines += ["| point | history median (runs) | candidate | change | robust z | "
                  "measured again | verdict |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {j.name} | {j.history_median:.4g} ({j.history_runs}) | {j.candidate:.4g} |"
                  f" {j.change:+.1%} | {j.z:+.1f} | "
                  f"{'-' if j.again is None else f'{j.again:.4g}'} |"
                  f" {j.verdict} |" for j in notable]
    for verdict, why in UNJUDGED.items():
        count = sum(j.verdict == verdict for j in judged)
        if count:
            lines.append(f"- {count} points {why}: not judged")
    for name, error in failed:
        lines.append(f"- FAILED in the candidate: {name}: {error}")
    regressions = [j for j in judged if j.verdict == "regression"]
    regressed = bool(regressions or failed)
    lines += ["", f"**{'REGRESSION' if regressed else 'no regression'}**: {len(regressions)} "
              f"regressions ({len(failed)} newly failing points), "
              f"{sum(j.verdict == NOT_CONFIRMED for j in judged)} not confirmed when measured "
              f"again, {sum(j.verdict == 'improvement' for j in judged)} improvements, "
              f"{sum(j.verdict not in UNJUDGED for j in judged)} points judged."]
    text = "\n".join(lines) + "\n"
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "compare.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(out_dir, "recheck.txt"), "w", encoding="utf-8") as f:
        f.writelines(" ".join(j.selection) + "\n" for j in regressions)
    return regressed, text
