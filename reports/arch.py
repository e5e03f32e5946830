"""scripts/report arch A.json B.json ... -o DIR: one sweep from several machines.

Per family: absolute throughput, throughput relative to each curve's own
throughput at its fewest threads (so scaling shapes compare across machines
of different speed) with each curve's scaling law per machine (sigma, kappa,
peak) under it, and the scalable/global speedup, each machine in its own
line style; and a table of the machines' context.
"""

import html
import os

from reports import fit_table
from reports.fits import fit_curves
from reports.load import family_report
from reports.machine import thread_boundaries
from reports.page import cache_line_text, write_page
from reports.points import collect_points
from reports.scaling import family_figures

CONTEXT_COLUMNS = ["machine (in the figures)", "file", "host", "arch", "CPU", "topology", "cache line (bytes)", "relax",
                   "atomics"]


def machine_name(result_set):
    """host (arch), the name a machine's curves carry."""
    return f"{result_set.context.get('host_name', '?')} ({result_set.lockbench.get('arch', '?')})"


def machine_names(result_sets):
    names = [machine_name(rs) for rs in result_sets]
    # The same machine twice (two runs on one box): tell them apart by file.
    return {rs.path: name if names.count(name) == 1 else f"{name} {os.path.basename(rs.path)}"
            for rs, name in zip(result_sets, names)}


def context_table(result_sets):
    rows = []
    names = machine_names(result_sets)
    for rs in result_sets:
        lb = rs.lockbench
        rows.append([names[rs.path], os.path.basename(rs.path), rs.context.get("host_name", "?"),
                     lb.get("arch", "?"), lb.get("cpu_model", "?"),
                     lb.get("topology", {}).get("summary", "?"),
                     cache_line_text(lb), lb.get("relax_instruction", "?"),
                     lb.get("atomics", "-")])
    head = "".join(f"<th>{html.escape(h)}</th>" for h in CONTEXT_COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _laws_html(curves, sources):
    return ("<p>Scaling laws per machine (Universal Scalability Law, 95% intervals; "
            "docs/scaling-laws.md): sigma, contention; kappa, coherency; the peak.</p>"
            + fit_table.machines_table(curves, list(dict.fromkeys(sources.values()))))


def write_arch(result_sets, out_dir):
    """Writes the figures and index.html into out_dir; returns the page's path."""
    os.makedirs(out_dir, exist_ok=True)
    points = collect_points(result_sets)
    sources = machine_names(result_sets)
    boundaries = thread_boundaries(result_sets)
    curves = fit_curves(result_sets, sources)
    figures = []
    for family in sorted({p.family for p in points}):
        drawn = family_figures(family, [p for p in points if p.family == family], out_dir,
                               family_report(result_sets, family), sources=sources,
                               kinds=("throughput", "normalised", "speedup"),
                               prefix="arch-", boundaries=boundaries)
        laws = [c for c in curves if c.family == family]
        # The scaling laws under the normalised curves: shapes in numbers.
        figures += [(caption, png, _laws_html(laws, sources))
                    if png.endswith("-normalised.png") and laws else (caption, png)
                    for caption, png in drawn]
    return write_page(out_dir, result_sets, figures, context_table(result_sets),
                      title="lockbench: machines compared",
                      table_title="Machines as the figures name them")
