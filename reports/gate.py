"""scripts/report compare --history DB CANDIDATE: each point of the candidate
against the recent distribution of the same point on the same machine (the
last N runs of a branch in the history), not against one baseline file.
Medians are compared as divided by their runs' common factors
(history.run_factors), so a run in which the machine was slower for every
lock does not read as a regression of each.

Points with more threads than CPUs are not gated unless asked
(oversubscribed=True): their run-to-run spread is the scheduler's, often
bimodal between runs, and a robust z over ten runs mistakes the rarer mode
for a regression; the trend plot still draws them.

A point regressed when its median is both beyond the threshold below the
history's median and unusual for the history: its robust z, the distance
of the logarithms in units of the history's scaled median absolute
deviation (1.4826 MAD; never below MIN_SPREAD, so a very quiet history does
not make noise look significant), is below -z_limit. A point that failed its
invariants where the history has valid runs regressed too. Fewer than
MIN_HISTORY valid runs of a point judge nothing.
"""

import math
import os
from dataclasses import dataclass

import numpy as np

from reports.history import machine_of, normalized, run_factors, series
from reports.points import collect_points

MIN_HISTORY = 5
MIN_SPREAD = 0.02  # in natural log units: about 2%


@dataclass
class Judged:
    name: str
    history_median: float
    history_runs: int
    candidate: float
    change: float
    z: float
    verdict: str  # regression, improvement, same, too little history, oversubscribed


def robust_z(history, value):
    logs = np.log(np.asarray(history, dtype=float))
    centre = float(np.median(logs))
    spread = max(1.4826 * float(np.median(np.abs(logs - centre))), MIN_SPREAD)
    return (math.log(value) - centre) / spread


def judge_against_history(db, candidate, threshold, z_limit, last, branch, host=None,
                          oversubscribed=False):
    """([Judged], [(name, error)] newly failing, machine). The history's
    medians and the candidate's are divided by their runs' common factors
    (history.run_factors: all points of a run at one thread count moving
    together are the machine, not the code)."""
    machine = machine_of(candidate, host)
    history = series(db, machine=machine, branch=branch or None)
    factors = run_factors(history)
    recent = {}
    for p in collect_points([candidate]):
        entries = [e for e in history.get((machine, p.family, p.name), [])
                   if e.valid and e.median and e.median > 0][-last:]
        recent[p.name] = normalized(machine, entries, factors)
    candidate_factor = _candidate_factors(candidate, recent)
    judged, failed = [], []
    for p in collect_points([candidate]):
        medians = recent[p.name]
        if not p.valid:
            if medians:
                failed.append((p.name, p.error))
            continue
        value = p.median("ops_per_sec")
        if p.oversubscribed and not oversubscribed:
            judged.append(Judged(p.name, math.nan, len(medians), value, math.nan, math.nan,
                                 "oversubscribed"))
            continue
        if len(medians) < MIN_HISTORY or value <= 0:
            judged.append(Judged(p.name, math.nan, len(medians), value, math.nan, math.nan,
                                 "too little history"))
            continue
        value /= candidate_factor.get(p.threads, 1.0)
        centre = float(np.median(medians))
        change = value / centre - 1
        z = robust_z(medians, value)
        verdict = "same"
        if change < -threshold and z < -z_limit:
            verdict = "regression"
        elif change > threshold and z > z_limit:
            verdict = "improvement"
        judged.append(Judged(p.name, centre, len(medians), value, change, z, verdict))
    return judged, failed, machine


def _candidate_factors(candidate, recent):
    """{threads: factor} of the candidate run, as history.run_factors does
    for the runs in the history."""
    logs = {}
    for p in collect_points([candidate]):
        medians = recent.get(p.name, [])
        if p.valid and len(medians) >= MIN_HISTORY and p.median("ops_per_sec") > 0:
            logs.setdefault(p.threads, []).append(
                math.log(p.median("ops_per_sec")) - float(np.median(np.log(medians))))
    return {t: math.exp(float(np.median(v))) for t, v in logs.items() if len(v) >= 3}


def write_history_gate(db, candidate, out_dir, threshold, z_limit, last, branch, host=None,
                       oversubscribed=False):
    """Writes compare.md into out_dir; returns (regressed, Markdown text)."""
    judged, failed, machine = judge_against_history(db, candidate, threshold, z_limit, last,
                                                    branch, host, oversubscribed)
    lines = [f"History check on {machine}: each point against its last {last} runs"
             f"{f' on {branch}' if branch else ''}; a change beyond {threshold:.0%} with a robust"
             f" z beyond {z_limit:g} counts.", ""]
    notable = [j for j in judged if j.verdict in ("regression", "improvement")]
    if notable:
        lines += ["| point | history median (runs) | candidate | change | robust z | verdict |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {j.name} | {j.history_median:.4g} ({j.history_runs}) | {j.candidate:.4g} |"
                  f" {j.change:+.1%} | {j.z:+.1f} | {j.verdict} |" for j in notable]
    short = [j for j in judged if j.verdict == "too little history"]
    if short:
        lines.append(f"- {len(short)} points have fewer than {MIN_HISTORY} valid runs in the "
                     "history: not judged")
    over = [j for j in judged if j.verdict == "oversubscribed"]
    if over:
        lines.append(f"- {len(over)} oversubscribed points (scheduler-bound) not gated; "
                     "see the trend plot, or --oversubscribed")
    for name, error in failed:
        lines.append(f"- FAILED in the candidate: {name}: {error}")
    regressions = [j for j in judged if j.verdict == "regression"]
    regressed = bool(regressions or failed)
    lines += ["", f"**{'REGRESSION' if regressed else 'no regression'}**: {len(regressions)} "
              f"regressions ({len(failed)} newly failing points), "
              f"{sum(j.verdict == 'improvement' for j in judged)} improvements, "
              f"{len(judged) - len(short) - len(over)} points judged."]
    text = "\n".join(lines) + "\n"
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "compare.md"), "w", encoding="utf-8") as f:
        f.write(text)
    return regressed, text
