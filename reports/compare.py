"""scripts/report compare BASELINE.json CANDIDATE.json -o DIR: what changed, per point.

Per point present in both files: the change in median throughput and in median
p99 latency, each with a two-sided Mann-Whitney U test over the repetitions (as
Google Benchmark's compare.py does). A change counts only when it is both
beyond the minimum effect (threshold, relative; for latency also
latency_floor_ns, absolute, since p99 comes from a log-bucket histogram whose
neighbouring buckets near 100 ns are ~10% apart) and significant (p < alpha);
a change beyond the threshold that the test cannot confirm (too few
repetitions, overlapping samples) is reported as inconclusive. A point that
is valid in the baseline and failed in the candidate is a regression.

Only repetitions measured in the same machine state are compared
(reports/machine_state.py: each repetition's probe of the hand-off between
two of its CPUs), the state both files have most repetitions in. A VM's
host moving its vCPUs farther apart slows every point with cross-CPU
traffic, each by its own factor, for minutes; a point whose baseline and
candidate share no state is reported as such, not judged. Files without
probes are compared as measured.
"""

import html
import math
import os
from dataclasses import dataclass

import numpy as np
from scipy.stats import mannwhitneyu

from reports.judgements import Outcome, Verdict
from reports.load import family_report
from reports.machine import thread_boundaries
from reports.machine_state import UNPROBED, MachineStates
from reports.page import write_page
from reports.points import collect_points
from reports.scaling import family_figures

# (metric, how to read it from a point, whether higher is better, whether
# the absolute latency floor applies)
METRICS = [("throughput", lambda p: p.values("ops_per_sec"), True, False),
           ("p99 latency", lambda p: p.values("latency_ns", "p99"), False, True)]


@dataclass
class Change:
    name: str
    metric: str
    baseline: float  # median
    candidate: float
    change: float  # relative: candidate / baseline - 1
    p_value: float  # nan when the test cannot be made
    verdict: Verdict


def judge(baseline, candidate, higher_is_better, threshold, alpha, floor=0.0):
    """The verdict on two samples of repetitions: (change, p_value, verdict).
    A change of the medians by floor or less (absolute) does not count."""
    base, cand = float(np.median(baseline)), float(np.median(candidate))
    change = cand / base - 1 if base > 0 else (0.0 if cand == base else math.inf)
    if len(baseline) >= 2 and len(candidate) >= 2:
        p_value = float(mannwhitneyu(baseline, candidate, alternative="two-sided").pvalue)
    else:
        p_value = math.nan
    worse = change < -threshold if higher_is_better else change > threshold
    better = change > threshold if higher_is_better else change < -threshold
    if not (worse or better) or abs(cand - base) <= floor:
        return change, p_value, Verdict.SAME
    if not p_value < alpha:  # nan: too few repetitions to test
        return change, p_value, Verdict.INCONCLUSIVE
    return change, p_value, Verdict.REGRESSION if worse else Verdict.IMPROVEMENT


@dataclass
class Comparison:
    changes: list
    failed: list  # (name, error): valid in the baseline, failed in the candidate
    only_baseline: list
    only_candidate: list

    @property
    def regressions(self):
        return [c for c in self.changes if c.verdict == Verdict.REGRESSION]

    @property
    def improvements(self):
        return [c for c in self.changes if c.verdict == Verdict.IMPROVEMENT]

    @property
    def regressed(self):
        return bool(self.regressions or self.failed)

    @property
    def judged(self):
        """The points judged: compared in a shared machine state, or newly failing."""
        return len({c.name for c in self.changes if c.verdict != Verdict.STATE_DIFFERS} |
                   {name for name, _ in self.failed})


def compare_sets(baseline, candidate, threshold, alpha, latency_floor_ns=100.0):
    base = {p.name: p for p in collect_points([baseline])}
    cand = {p.name: p for p in collect_points([candidate])}
    states = MachineStates([r.get("handoff_ns") for p in [*base.values(), *cand.values()]
                            for r in p.runs])
    changes, failed = [], []
    for name in sorted(base.keys() & cand.keys()):
        b, c = base[name], cand[name]
        if b.valid and not c.valid:
            failed.append((name, c.error))
        if not (b.valid and c.valid):
            continue
        b_states, c_states = ([states.of(r.get("handoff_ns")) for r in p.runs] for p in (b, c))
        state = _common_state(b_states, c_states)
        for metric, values_of, higher_is_better, floored in METRICS:
            bv, cv = values_of(b), values_of(c)
            if state is not None:
                if state != UNPROBED:
                    bv, cv = bv[[s == state for s in b_states]], cv[[s == state for s in c_states]]
                change, p_value, verdict = judge(bv, cv, higher_is_better, threshold, alpha,
                                                 latency_floor_ns if floored else 0.0)
            else:
                change, p_value, verdict = (float(np.median(cv) / np.median(bv) - 1), math.nan,
                                            Verdict.STATE_DIFFERS)
            changes.append(Change(name, metric, float(np.median(bv)), float(np.median(cv)),
                                  change, p_value, verdict))
    return Comparison(changes, failed, sorted(base.keys() - cand.keys()),
                      sorted(cand.keys() - base.keys()))


def _common_state(b_states, c_states):
    """The machine state in which to compare a point's repetitions: UNPROBED
    (all of them, as measured) when either file has repetitions without a
    probe, else the state both have the most repetitions in, or None when
    they share none. One state, not all shared ones: pooled, a different
    share of each would move the medians."""
    if UNPROBED in b_states or UNPROBED in c_states:
        return UNPROBED
    shared = set(b_states) & set(c_states)
    if not shared:
        return None
    return max(sorted(shared), key=lambda s: min(b_states.count(s), c_states.count(s)))


def _row(c):
    p = "n/a" if math.isnan(c.p_value) else f"{c.p_value:.3f}"
    return [c.name, c.metric, f"{c.baseline:.4g}", f"{c.candidate:.4g}", f"{c.change:+.1%}", p,
            c.verdict]


HEADER = ["point", "metric", "baseline (median)", "candidate (median)", "change", "U test p",
          "verdict"]


def markdown(comparison, threshold, alpha, latency_floor_ns):
    lines = [f"Regression check: a change beyond {threshold:.0%} (and, for latency, beyond "
             f"{latency_floor_ns:g} ns) with Mann-Whitney U p < {alpha} counts, between "
             "repetitions measured in the same machine state (hand-off probe).", ""]
    notable = [c for c in comparison.changes if c.verdict != Verdict.SAME]
    if notable:
        lines += ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(_row(c)) + " |" for c in notable]
    else:
        lines.append(f"No change beyond the threshold in {len(comparison.changes)} comparisons.")
    for name, error in comparison.failed:
        lines.append(f"- FAILED in the candidate: {name}: {error}")
    for title, names in (("only in the baseline", comparison.only_baseline),
                         ("only in the candidate", comparison.only_candidate)):
        if names:
            lines.append(f"- {len(names)} points {title}: " + ", ".join(names))
    if not comparison.judged:
        shared = len({c.name for c in comparison.changes})
        lines += ["", f"**{Outcome.NOTHING_COMPARED}**: no point of the candidate was judged: "
                  f"{shared} valid in both files"
                  f"{', none of them measured in a shared machine state' if shared else ''}."]
        return "\n".join(lines) + "\n"
    outcome = Outcome.of(comparison.judged, comparison.regressed)
    lines += ["", f"**{outcome}**: {len(comparison.regressions)} regressions "
              f"({len(comparison.failed)} newly failing points), "
              f"{len(comparison.improvements)} improvements; {comparison.judged} points judged."]
    return "\n".join(lines) + "\n"


def overlay_figures(baseline, candidate, out_dir):
    """Throughput and p99 latency curves of both files, overlaid per family."""
    points = collect_points([baseline, candidate])
    sources = {baseline.path: "baseline", candidate.path: "candidate"}
    if baseline.path == candidate.path:
        sources = None
    boundaries = thread_boundaries([baseline, candidate])
    figures = []
    for family in sorted({p.family for p in points}):
        figures += family_figures(family, [p for p in points if p.family == family], out_dir,
                                  family_report([baseline, candidate], family), sources=sources,
                                  kinds=("throughput", "latency"), prefix="compare-",
                                  boundaries=boundaries)
    return figures


def write_comparison(baseline, candidate, out_dir, threshold, alpha, latency_floor_ns):
    """Writes compare.md and index.html into out_dir; returns the Comparison and
    the Markdown summary."""
    comparison = compare_sets(baseline, candidate, threshold, alpha, latency_floor_ns)
    text = markdown(comparison, threshold, alpha, latency_floor_ns)
    with open(os.path.join(out_dir, "compare.md"), "w", encoding="utf-8") as f:
        f.write(text)
    write_page(out_dir, [baseline, candidate], overlay_figures(baseline, candidate, out_dir),
               _html_table(comparison), title="lockbench comparison",
               table_title="Changes per point",
               intro=f"<p>Baseline <code>{baseline.path}</code>, candidate "
                     f"<code>{candidate.path}</code>.</p>")
    return comparison, text


def _html_table(comparison):
    rows = []
    for c in comparison.changes:
        cls = {Verdict.REGRESSION: ' class="failed"',
               Verdict.IMPROVEMENT: ' class="better"'}.get(c.verdict, "")
        rows.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(x)}</td>" for x in _row(c)) +
                    "</tr>")
    for name, error in comparison.failed:
        rows.append(f'<tr class="failed"><td>{html.escape(name)}</td><td colspan="6">'
                    f"FAILED in the candidate: {html.escape(error)}</td></tr>")
    for title, names in (("only in the baseline", comparison.only_baseline),
                         ("only in the candidate", comparison.only_candidate)):
        for name in names:
            rows.append(f"<tr><td>{html.escape(name)}</td><td colspan=\"6\">{title}</td></tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
