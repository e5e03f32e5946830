"""The self-contained report page: index.html beside its figures."""

import html
import os

from reports.machine_state import MachineStates

STYLE = """body{font-family:sans-serif;margin:2em;max-width:1400px}
p.emulated{background:#fde;padding:6px;font-weight:bold}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}
tr.failed td{background:#fdd}tr.better td{background:#dfd}tr.unstable td{background:#ffd}
img{max-width:100%}code{background:#eee}p.oversubscribed{color:#555}nav li{margin:2px 0}"""


def cache_line_text(lockbench):
    """The line size hwloc reported; a machine that describes no cache (an
    emulated ARM guest) reports 0."""
    line = lockbench.get("cache_line", {}).get("hwloc", "?")
    return "not reported" if line == 0 else str(line)


def machine_rows(result_sets):
    out = []
    for rs in result_sets:
        lb = rs.lockbench
        gb = rs.context
        host = gb.get("host_name", "?") + (" (emulated)" if lb.get("emulated") else "")
        out.append([os.path.basename(rs.path), host, lb.get("arch", "?"),
                    lb.get("cpu_model", "?"), lb.get("topology", {}).get("summary", "?"),
                    cache_line_text(lb), lb.get("relax_instruction", "?"), lb.get("git_revision", "?"),
                    lb.get("config", {}).get("name", "?"), gb.get("date", "?"),
                    _machine_states(rs)])
    return out


def emulation_warning(result_sets):
    """A paragraph saying which files an emulator ran (context.lockbench.
    emulated): their figures check what the harness does, and their timings
    measure the emulator, not a machine."""
    emulated = [(os.path.basename(rs.path), rs.lockbench["emulated"])
                for rs in result_sets if rs.lockbench.get("emulated")]
    if not emulated:
        return ""
    which = "; ".join(f"{html.escape(name)}: {html.escape(what)}" for name, what in emulated)
    return (f"<p class=\"emulated\">Emulated machine ({which}). Its timings are not "
            "measurements: they are the emulator's speed, not the locks'. Read these "
            "results for what ran, where, and whether it was valid.</p>")


def _machine_states(result_set):
    """The states its repetitions' hand-off probes fell in: more than one
    means its points were not all measured on the same machine."""
    probes = [e.get("handoff_ns") for e in result_set.entries if e.get("run_type") == "iteration"]
    return MachineStates(probes).describe(probes) or "not probed"


def write_page(out_dir, result_sets, sections, table_html, title="lockbench report", intro="",
               table_title="All points", summary_html=""):
    """index.html: the summary (when given) first, a table of contents, the
    machines, the figures, then the table of points. sections: (caption,
    png) or (caption, png, html shown under the figure)."""
    header = ["file", "host", "arch", "CPU", "topology", "cache line", "relax", "commit",
              "config", "date", "hand-off probes (machine states)"]
    machines = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
        for r in machine_rows(result_sets))
    figures = "".join(
        f"<h2 id=\"figure-{i}\">{html.escape(caption)}</h2>"
        f"<img src=\"{html.escape(os.path.basename(png))}\" alt=\"{html.escape(caption)}\">"
        + "".join(after)
        for i, (caption, png, *after) in enumerate(sections))
    contents = ([("summary", "Summary")] if summary_html else []) + [("machines", "Machines")]
    contents += [(f"figure-{i}", caption) for i, (caption, *_) in enumerate(sections)]
    contents += [("points", table_title)]
    toc = "".join(f"<li><a href=\"#{anchor}\">{html.escape(text)}</a></li>"
                  for anchor, text in contents)
    summary = f"<h2 id=\"summary\">Summary</h2>{summary_html}" if summary_html else ""
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{STYLE}</style></head>
<body><h1>{html.escape(title)}</h1>{emulation_warning(result_sets)}{intro}
{summary}
<nav><h2>Contents</h2><ol>{toc}</ol></nav>
<h2 id="machines">Machines</h2>
<table><thead><tr>{''.join(f'<th>{h}</th>' for h in header)}</tr></thead><tbody>{machines}</tbody></table>
{figures}
<h2 id="points">{html.escape(table_title)}</h2>{table_html}
</body></html>
"""
    path = os.path.join(out_dir, "index.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path
