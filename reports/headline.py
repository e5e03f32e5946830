"""The report's first table: per family, each scalable variant's throughput
over the global lock's with the same parameters, placement and threads, with
its 95% interval; ratios from oversubscribed points (more threads than
CPUs, where the scheduler's hand-offs dominate) are listed apart, never
mixed into the headline. Nor are points from a build whose in-window checks
were compiled out (context.lockbench.checks "off"): their invariants were
not all judged, so they are said to be there and left out."""

import html
import os

from reports.judgements import Stability
from reports.scaling import speedup
from reports.summary import fmt


def verdict(point):
    """The harness's stability verdict; a point without one (a single
    repetition has no median entry) is not judged."""
    if point.stability:
        return point.stability
    n = len(point.runs)
    return f"{n} repetition{'s' if n != 1 else ''}: not judged"


def speedup_pairs(points):
    """[(scalable point, global point, ratio, interval)] for every
    scalable/global pair of valid points from checked builds, in the
    headline's order (oversubscribed ones after those within the CPUs)."""
    headline = [p for p in points if p.valid and p.checked]
    globals_ = {(p.source, p.family, p.placement, p.threads, p.params_text): p
                for p in headline if p.kind == "global"}
    out = []
    for p in sorted((p for p in headline if p.kind == "scalable"),
                    key=lambda p: (p.family, p.oversubscribed, p.placement,
                                   sorted(p.params.items()),  # numbers in numeric order
                                   p.variant, p.threads)):
        base = globals_.get((p.source, p.family, p.placement, p.threads, p.params_text))
        if base is None or base.median("ops_per_sec") <= 0:
            continue
        out.append((p, base, *speedup(p, base)))
    return out


def speedup_rows(points):
    """[(family, oversubscribed, row)] for every scalable/global pair."""
    out = []
    for p, base, ratio, interval in speedup_pairs(points):
        verdicts = [(q.variant, verdict(q)) for q in (p, base)]
        unstable = "; ".join(f"{variant}: {v}" for variant, v in verdicts
                             if v != Stability.STABLE)
        out.append((p.family, p.oversubscribed or base.oversubscribed,
                    [f"{p.variant} / {base.variant}", p.params_text or "-", p.placement,
                     str(p.threads), f"{fmt(ratio)}x",
                     f"{fmt(interval[0])} - {fmt(interval[1])}" if interval else "-",
                     unstable or Stability.STABLE]))
    return out


HEADER = ["ratio", "parameters", "placement", "threads", "speedup (median)", "95% interval",
          "stability"]


def _table(rows):
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def unchecked_note(points):
    """A sentence on the points left out for their build's checks, or ""."""
    files = sorted({os.path.basename(p.source) for p in points if not p.checked})
    if not files:
        return ""
    return (f"Left out of the headline: {len(files)} file{'s' if len(files) != 1 else ''} "
            f"built with the in-window checks compiled out (LOCKBENCH_CHECKS=OFF), whose "
            f"invariants were not all judged: {', '.join(files)}.")


def html_summary(points):
    """Per family: the headline ratios, then the oversubscribed ones apart."""
    rows = speedup_rows(points)
    note = unchecked_note(points)
    parts = [f"<p class=\"emulated\">{html.escape(note)}</p>"] if note else []
    for family in sorted({f for f, _, _ in rows}):
        fitted = [r for f, over, r in rows if f == family and not over]
        over = [r for f, o, r in rows if f == family and o]
        parts.append(f"<h3>{html.escape(family)}</h3>")
        if fitted:
            parts.append("<p>Threads within the CPUs:</p>" + _table(fitted))
        if over:
            parts.append("<p class=\"oversubscribed\">Oversubscribed (more threads than CPUs: "
                         "these ratios measure the scheduler handing the lock to preempted "
                         "waiters as much as the lock design):</p>" + _table(over))
    if not rows:
        parts.append("<p>No scalable variant was measured beside its global one.</p>")
    return "".join(parts)


def markdown_summary(points):
    lines = []
    for family, over, row in speedup_rows(points):
        regime = "oversubscribed" if over else "within CPUs"
        lines.append(f"- {family} ({regime}): {row[0]} [{row[1]}] {row[2]}, {row[3]} threads: "
                     f"{row[4]} (95% {row[5]}; {row[6]})")
    note = unchecked_note(points)
    if note:
        lines.insert(0, note)
    return "\n".join(lines) + "\n" if lines else ""
