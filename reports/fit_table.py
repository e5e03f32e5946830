"""The scaling laws of curves (reports.fits) as a plain-text table per
family, as JSON, and as the report page's HTML table."""

import html

from reports.summary import fmt

HEADER = ["variant", "placement", "parameters", "machine", "counts", "lambda (ops/s)", "sigma",
          "kappa", "peak", "verdict"]


def _number(value):
    if abs(value) < 1e-12:  # a bound at 0 that the solver left a hair above
        return "0"
    return fmt(value) if abs(value) >= 1e-3 else f"{value:.2e}"


def with_interval(value, interval):
    """"0.047 [0.043, 0.051]", or the value alone without an interval."""
    text = _number(value)
    return text + (f" [{_number(interval[0])}, {_number(interval[1])}]" if interval else "")


def peak_text(law, counts):
    """Where the law peaks: N* [interval] and X(N*), or why no peak is shown."""
    peak = law.peak()
    if peak is None:
        return "none: kappa's interval reaches 0" if law.kappa > 0 else "none: kappa is 0"
    n_star, interval, x_star = peak
    beyond = f", beyond the {max(counts)} measured" if n_star > max(counts) else ""
    return f"{with_interval(n_star, interval)} threads, {fmt(x_star)}/s{beyond}"


def change_text(crossing):
    """"-40% [-43%, -36%] at 48 threads": the change against the law within."""
    interval = (f" [{crossing.interval[0]:+.0%}, {crossing.interval[1]:+.0%}]"
                if crossing.interval else "")
    return f"{crossing.change:+.0%}{interval} at {crossing.past} threads"


def _law_cells(law, counts):
    return [with_interval(law.lam, law.interval("lambda")),
            with_interval(law.sigma, law.interval("sigma")),
            with_interval(law.kappa, law.interval("kappa")), peak_text(law, counts)]


def _alike(curves):
    """{(family, reason): curves} for the reasons several curves of a family
    share with nothing fitted, not even within a boundary: on a 2-CPU
    machine every curve has too few counts, and one row says so."""
    groups = {}
    for c in curves:
        if not c.fits and not c.crossings:
            groups.setdefault((c.family, c.reason), []).append(c)
    return {key: group for key, group in groups.items() if len(group) > 1}


def _alike_row(group):
    counts = {f"{len(c.threads)} ({c.threads[0]}-{c.threads[-1]})" for c in group}
    return [f"{len(group)} curves: " + ", ".join(dict.fromkeys(c.variant for c in group)),
            ", ".join(dict.fromkeys(c.placement for c in group)), "",
            ", ".join(dict.fromkeys(c.machine for c in group)),
            counts.pop() if len(counts) == 1 else "", "-", "-", "-", "-", group[0].reason]


def rows(curves):
    """[(family, cells)]: a row per curve; under it, its law within the
    first boundary it crosses and the change across each boundary. Curves
    of a family left unfitted for one reason share a row."""
    alike = _alike(curves)
    grouped = {id(c) for group in alike.values() for c in group}
    out = []
    for c in curves:
        if id(c) in grouped:
            continue
        counts = f"{len(c.threads)} ({c.threads[0]}-{c.threads[-1]})"
        head = [c.variant, c.placement, c.params_text or "-", c.machine, counts]
        law = _law_cells(c.law, c.threads) if c.fits else ["-"] * 4
        out.append((c.family, head + law + ["fits" if c.fits else c.reason]))
        indent = [""] * 4
        if c.inner:
            inside = [t for t in c.threads if t <= c.inner.threads]
            out.append((c.family, indent + [f"within {c.inner.threads}: {len(inside)}"]
                        + _law_cells(c.inner.law, inside) + [f"fits, within {c.inner.what}"]))
        for x in c.crossings:
            out.append((c.family, indent + [f"crossing {x.threads}"] + [""] * 4
                        + [f"{change_text(x)}, against the law within {x.what}"]))
    out += [(family, _alike_row(group)) for (family, _), group in alike.items()]
    return sorted(out, key=lambda row: row[0])  # stable: a curve's rows stay under it


def text(curves):
    """A table per family, columns aligned."""
    parts = []
    table = rows(curves)
    for family in sorted({f for f, _ in table}):
        body = [HEADER] + [r for f, r in table if f == family]
        widths = [max(len(r[i]) for r in body) for i in range(len(HEADER) - 1)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)) + "  " + r[-1]
                 for r in body]
        parts.append(f"{family}\n" + "\n".join(line.rstrip() for line in lines))
    return "\n\n".join(parts) + "\n" if parts else "no curves within the CPUs\n"


def html_table(curves):
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["family"] + HEADER)
    # A curve's family once, on its own row, not on the rows under it.
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>"
                                    for c in [f if r[0] else ""] + r) + "</tr>"
                   for f, r in rows(curves))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def machines_table(curves, machines):
    """Per family, variant, placement and settings: sigma, kappa and the
    peak on each machine (its law within the first boundary where the whole
    curve is not described, and why where there is none), to compare the
    scaling of machines (arch)."""
    by_curve = {}
    for c in curves:
        key = (c.family, c.variant, c.placement, c.params_text or "-")
        by_curve.setdefault(key, {})[c.machine] = c
    head = ["family", "variant", "placement", "parameters"] + [
        f"{m}: {what}" for m in machines for what in ("sigma", "kappa", "peak")]
    body = []
    for key, per_machine in by_curve.items():
        cells = list(key)
        for machine in machines:
            cells += _machine_cells(per_machine.get(machine))
        body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    head_html = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f"<table><thead><tr>{head_html}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _machine_cells(curve):
    if curve is None:
        return ["not measured", "", ""]
    if curve.fits:
        law, counts, within = curve.law, curve.threads, ""
    elif curve.inner:
        law, within = curve.inner.law, f" (within {curve.inner.threads}: {curve.inner.what})"
        counts = [t for t in curve.threads if t <= curve.inner.threads]
    else:
        return [curve.reason, "", ""]
    return [with_interval(law.sigma, law.interval("sigma")) + within,
            with_interval(law.kappa, law.interval("kappa")), peak_text(law, counts)]


def _estimate(law, name, value):
    interval = law.interval(name) if law else None
    return {"value": value if law else None, "ci95": list(interval) if interval else None}


def _law_json(law, counts):
    peak = law.peak() if law else None
    return {"lambda": _estimate(law, "lambda", law and law.lam),
            "sigma": _estimate(law, "sigma", law and law.sigma),
            "kappa": _estimate(law, "kappa", law and law.kappa),
            "peak_threads": peak[0] if peak else None,
            "peak_threads_ci95": list(peak[1]) if peak and peak[1] else None,
            "peak_ops_per_sec": peak[2] if peak else None}


def as_json(curves):
    """A list of objects, one per curve (docs/scaling-laws.md lists the keys)."""
    out = []
    for c in curves:
        inner = None
        if c.inner:
            inside = [t for t in c.threads if t <= c.inner.threads]
            inner = {"threads": c.inner.threads, "what": c.inner.what,
                     **_law_json(c.inner.law, inside)}
        out.append({"family": c.family, "variant": c.variant, "kind": c.kind,
                    "placement": c.placement, "params": c.settings, "machine": c.machine,
                    "source": c.source, "n_threads": len(c.threads), "threads": c.threads,
                    **_law_json(c.law, c.threads), "fits": c.fits, "reason": c.reason,
                    "within_first_boundary": inner,
                    "crossings": [{"threads": x.threads, "what": x.what, "past": x.past,
                                   "change": x.change,
                                   "ci95": list(x.interval) if x.interval else None}
                                  for x in c.crossings]})
    return out
