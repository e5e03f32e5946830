"""scripts/report history plot: each headline point over the runs of a
history, one small panel per point and a line per machine, its 95% interval
as a band, failed runs marked, change points drawn where the series shifts;
an index.html with the table of change points."""

import html
import os
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from reports.changepoints import change_points  # noqa: E402
from reports.history import normalized  # noqa: E402
from reports.page import STYLE  # noqa: E402

COLUMNS = 4


@dataclass
class Shift:
    machine: str
    family: str
    name: str
    commit: str
    index: int
    before: float
    after: float
    p_value: float
    oversubscribed: bool  # threads > CPUs: the scheduler's as much as the lock's

    @property
    def change(self):
        return self.after / self.before - 1


def detect(history, min_effect, alpha, factors):
    """[Shift] of every series: change points over its valid runs' medians,
    each divided by its run's common factor (history.run_factors)."""
    out = []
    for (machine, family, name), entries in sorted(history.items()):
        valid = [e for e in entries if e.valid and e.median]
        for c in change_points(normalized(machine, valid, factors), min_effect, alpha):
            out.append(Shift(machine, family, name, valid[c.index].commit, c.index, c.before,
                             c.after, c.p_value, valid[c.index].oversubscribed))
    return out


def _short(commit):
    return (commit or "?")[:7]


def _draw_family(family, history, shifts, out_dir):
    names = sorted({name for (_, f, name) in history if f == family})
    rows = (len(names) + COLUMNS - 1) // COLUMNS
    fig, axes = plt.subplots(rows, min(COLUMNS, len(names)), figsize=(4.2 * min(COLUMNS, len(names)),
                             3.0 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        for machine in sorted({m for (m, f, n) in history if f == family and n == name}):
            entries = history[(machine, family, name)]
            xs = list(range(len(entries)))
            valid = [(x, e) for x, e in zip(xs, entries) if e.valid and e.median]
            line = ax.plot([x for x, _ in valid], [e.median for _, e in valid], marker="o",
                           markersize=3, label=machine)[0]
            banded = [(x, e) for x, e in valid if e.ci_low is not None]
            if banded:
                ax.fill_between([x for x, _ in banded], [e.ci_low for _, e in banded],
                                [e.ci_high for _, e in banded], color=line.get_color(), alpha=0.2)
            failed = [x for x, e in zip(xs, entries) if not e.valid]
            if failed and valid:
                low = min(e.median for _, e in valid)
                ax.plot(failed, [low] * len(failed), "x", color="red", label="failed")
            valid_x = [x for x, _ in valid]
            for s in shifts:
                if (s.machine, s.family, s.name) == (machine, family, name):
                    x = valid_x[s.index] - 0.5
                    ax.axvline(x, color="black", linestyle="--", linewidth=1)
                    ax.annotate(f"{s.change:+.0%}", (x, 1), xycoords=("data", "axes fraction"),
                                va="top", ha="left", fontsize=8)
            ax.set_xticks(xs, [_short(e.commit) for e in entries], rotation=90, fontsize=6)
        over = any(e.oversubscribed for m, f, n in history if f == family and n == name
                   for e in history[(m, f, n)])
        ax.set_title(name.split("/", 1)[1] + (" (oversubscribed)" if over else ""), fontsize=7)
        # From zero, so a shift looks its size; log only across decades.
        values = [e.median for m, f, n in history if f == family and n == name
                  for e in history[(m, f, n)] if e.valid and e.median]
        if values and max(values) > 10 * min(values):
            ax.set_yscale("log")
        elif values:
            ax.set_ylim(0, max(values) * 1.15)
        ax.grid(True, alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    axes[0][0].legend(fontsize=6)
    axes[0][0].set_ylabel("ops/s (median; band: 95% interval)")
    fig.suptitle(f"{family}: throughput over runs (x: commit, oldest first)")
    fig.tight_layout()
    png = os.path.join(out_dir, f"history-{family}.png")
    fig.savefig(png, dpi=100)
    fig.savefig(png[:-4] + ".svg")
    plt.close(fig)
    return png


def write_trends(history, out_dir, min_effect, alpha, factors):
    """Draws the figures and index.html; returns (index path, shifts).
    factors: history.run_factors over all the machine's points."""
    os.makedirs(out_dir, exist_ok=True)
    shifts = detect(history, min_effect, alpha, factors)
    figures = [(family, _draw_family(family, history, shifts, out_dir))
               for family in sorted({f for (_, f, _) in history})]
    rows = "".join(
        f"<tr><td>{html.escape(s.name)}</td><td>{html.escape(s.machine)}</td>"
        f"<td>{html.escape(_short(s.commit))}</td><td>{s.before:.4g} &rarr; {s.after:.4g}</td>"
        f"<td>{s.change:+.1%}</td><td>{s.p_value:.3g}</td>"
        f"<td>{'oversubscribed' if s.oversubscribed else 'within CPUs'}</td></tr>" for s in shifts)
    table = ("<table><thead><tr><th>point</th><th>machine</th><th>first commit after</th>"
             "<th>median before &rarr; after (ops/s)</th><th>change</th><th>p</th><th>regime</th>"
             "</tr></thead>"
             f"<tbody>{rows}</tbody></table>" if shifts else
             "<p>No change point in any series.</p>")
    images = "".join(f"<h2>{html.escape(family)}</h2><img src=\"{os.path.basename(png)}\" "
                     f"alt=\"{html.escape(family)} history\">" for family, png in figures)
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>lockbench history</title><style>{STYLE}</style></head>
<body><h1>lockbench history</h1>
<p>Change points: a shift of a point's median of at least {min_effect:.0%}, a step and not a
drift, with a Mann-Whitney U test (Bonferroni over the candidate splits) below {alpha}
(<code>reports/changepoints.py</code>), tested on the medians divided by their run's common
factor (all points of a run at one thread count moving together: the machine, not the code;
<code>reports/history.py</code>). The figures draw the medians as measured; the table gives
the medians before and after, as tested.</p>
<h2>Change points</h2>{table}{images}
</body></html>
"""
    path = os.path.join(out_dir, "index.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path, shifts
