"""scripts/report compare --history DB CANDIDATE: each point of the candidate
against the recent distribution of the same point on the same machine (the
last N runs of a branch in the history), not against one baseline file.

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

from reports.history import machine_of, series
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
    verdict: str  # regression, improvement, same, too little history


def robust_z(history, value):
    logs = np.log(np.asarray(history, dtype=float))
    centre = float(np.median(logs))
    spread = max(1.4826 * float(np.median(np.abs(logs - centre))), MIN_SPREAD)
    return (math.log(value) - centre) / spread


def judge_against_history(db, candidate, threshold, z_limit, last, branch, host=None):
    """([Judged], [(name, error)] newly failing, machine)."""
    machine = machine_of(candidate, host)
    history = series(db, machine=machine, branch=branch or None)
    judged, failed = [], []
    for p in collect_points([candidate]):
        entries = [e for e in history.get((machine, p.family, p.name), [])
                   if e.valid and e.median and e.median > 0][-last:]
        if not p.valid:
            if entries:
                failed.append((p.name, p.error))
            continue
        value = p.median("ops_per_sec")
        if len(entries) < MIN_HISTORY or value <= 0:
            judged.append(Judged(p.name, math.nan, len(entries), value, math.nan, math.nan,
                                 "too little history"))
            continue
        medians = [e.median for e in entries]
        centre = float(np.median(medians))
        change = value / centre - 1
        z = robust_z(medians, value)
        verdict = "same"
        if change < -threshold and z < -z_limit:
            verdict = "regression"
        elif change > threshold and z > z_limit:
            verdict = "improvement"
        judged.append(Judged(p.name, centre, len(entries), value, change, z, verdict))
    return judged, failed, machine


def write_history_gate(db, candidate, out_dir, threshold, z_limit, last, branch, host=None):
    """Writes compare.md into out_dir; returns (regressed, Markdown text)."""
    judged, failed, machine = judge_against_history(db, candidate, threshold, z_limit, last,
                                                    branch, host)
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
    for name, error in failed:
        lines.append(f"- FAILED in the candidate: {name}: {error}")
    regressions = [j for j in judged if j.verdict == "regression"]
    regressed = bool(regressions or failed)
    lines += ["", f"**{'REGRESSION' if regressed else 'no regression'}**: {len(regressions)} "
              f"regressions ({len(failed)} newly failing points), "
              f"{sum(j.verdict == 'improvement' for j in judged)} improvements, "
              f"{len(judged) - len(short)} points judged."]
    text = "\n".join(lines) + "\n"
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "compare.md"), "w", encoding="utf-8") as f:
        f.write(text)
    return regressed, text
