"""Tables of points: Markdown for CI logs, HTML for the report page."""

import html

from reports.judgements import Stability
from reports.uncertainty import relative_half_width


def fmt(value, digits=3):
    if value >= 1e5:
        return f"{value:.3g}".replace("e+0", "e").replace("e+", "e")
    return f"{value:.{digits}g}"


def interval_text(point):
    """The median's 95% interval as ±% of it, or "-" below 6 repetitions."""
    half = relative_half_width(point.values("ops_per_sec"))
    return "-" if half is None else f"±{100 * half:.1f}%"


def rows(points):
    """One row per point, failed ones saying why instead of numbers."""
    out = []
    for p in sorted(points, key=lambda p: (p.family, p.placement, p.params_text, p.variant,
                                           p.threads)):
        head = [p.family, p.variant, p.kind, p.params_text or "-", p.placement, str(p.threads),
                p.regime]
        if p.valid:
            out.append(head + [fmt(p.median("ops_per_sec")), interval_text(p),
                               fmt(p.median("fairness")), fmt(p.median("latency_ns", "p99")),
                               str(len(p.runs)), p.stability or Stability.NOT_GIVEN, "ok"])
        else:
            out.append(head + ["-", "-", "-", "-", str(len(p.runs)), "-", "FAILED: " + p.error])
    return out


HEADER = ["family", "variant", "kind", "parameters", "placement", "threads", "regime",
          "ops/s (median)", "95% interval", "fairness", "p99 latency (ns)", "repetitions",
          "stability", "status"]


def markdown(points):
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows(points)]
    return "\n".join(lines) + "\n"


def html_table(points):
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
    body = []
    for r in rows(points):
        unstable = r[-2] not in (Stability.STABLE, Stability.NOT_GIVEN)
        cls = ' class="failed"' if r[-1] != "ok" else (' class="unstable"' if unstable else "")
        body.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
