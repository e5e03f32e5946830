"""Tables of points: Markdown for CI logs, HTML for the report page."""

import html


def fmt(value, digits=3):
    if value >= 1e5:
        return f"{value:.3g}".replace("e+0", "e").replace("e+", "e")
    return f"{value:.{digits}g}"


def rows(points):
    """One row per point, failed ones saying why instead of numbers."""
    out = []
    for p in sorted(points, key=lambda p: (p.family, p.placement, p.variant, p.threads)):
        if p.valid:
            out.append([p.family, p.variant, p.role, p.placement, str(p.threads),
                        fmt(p.median("ops_per_sec")), fmt(p.median("fairness")),
                        fmt(p.median("latency_ns", "p99")), str(len(p.runs)), "ok"])
        else:
            out.append([p.family, p.variant, p.role, p.placement, str(p.threads),
                        "-", "-", "-", str(len(p.runs)), "FAILED: " + p.error])
    return out


HEADER = ["family", "variant", "role", "placement", "threads", "ops/s (median)",
          "fairness", "p99 latency (ns)", "repetitions", "status"]


def markdown(points):
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows(points)]
    return "\n".join(lines) + "\n"


def html_table(points):
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
    body = []
    for r in rows(points):
        cls = "" if r[-1] == "ok" else ' class="failed"'
        body.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
