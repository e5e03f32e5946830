"""scripts/report history plot: each headline point over the runs of a
history, one small panel per point and a line per machine, its 95% interval
as a band, failed runs marked, change points drawn where the series shifts;
an index.html with the table of change points."""

import html
import os
from dataclasses import dataclass
from datetime import datetime

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from reports.changepoints import change_points  # noqa: E402
from reports.figure_files import save_figure  # noqa: E402
from reports.machine_state import MIN_RUNS, PointLevels  # noqa: E402
from reports.page import STYLE  # noqa: E402

COLUMNS = 4
MAX_LABELS = 40  # commit labels on an axis; more runs label every k-th


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


def normalized_series(history, states):
    """{series key: [(index into its entries, value)]}: each series' valid
    runs with repetitions in a known machine state, valued as if measured in
    the point's usual state (machine_state.PointLevels). states: {machine:
    MachineStates}."""
    out = {}
    for key, entries in history.items():
        valid = [(i, e) for i, e in enumerate(entries) if e.valid and e.median]
        levels = PointLevels(states[key[0]], [e.repetitions for _, e in valid])
        values = [(i, levels.normalized(e.repetitions)) for i, e in valid]
        out[key] = [(i, v) for i, v in values if v is not None]
    return out


def detect(history, normalized, min_effect, alpha):
    """[Shift] of every series: change points over its normalized values
    (normalized_series)."""
    out = []
    for (machine, family, name), entries in sorted(history.items()):
        series = normalized[(machine, family, name)]
        for c in change_points([v for _, v in series], min_effect, alpha):
            index = series[c.index][0]
            out.append(Shift(machine, family, name, entries[index].commit, index, c.before,
                             c.after, c.p_value, entries[index].oversubscribed))
    return out


def _short(commit):
    return (commit or "?")[:7]


def _positions(history, family, by_date):
    """{(date, commit): x} shared by a family's panels and machines: each run
    its own place in date order (labelled by its short commit), or its date."""
    runs = sorted({(e.date, e.commit) for (_, f, _), entries in history.items() if f == family
                   for e in entries})
    if by_date:
        return {run: datetime.fromisoformat(run[0]) for run in runs}
    return {run: i for i, run in enumerate(runs)}


def _draw_family(family, history, normalized, shifts, out_dir, by_date):
    names = sorted({name for (_, f, name) in history if f == family})
    rows = (len(names) + COLUMNS - 1) // COLUMNS
    fig, axes = plt.subplots(rows, min(COLUMNS, len(names)), figsize=(4.2 * min(COLUMNS, len(names)),
                             3.0 * rows), squeeze=False)
    positions = _positions(history, family, by_date)
    for ax, name in zip(axes.flat, names):
        for machine in sorted({m for (m, f, n) in history if f == family and n == name}):
            entries = history[(machine, family, name)]
            xs = [positions[(e.date, e.commit)] for e in entries]
            series = normalized[(machine, family, name)]
            line = ax.plot([xs[i] for i, _ in series], [v for _, v in series], marker="o",
                           markersize=3, label=machine)[0]
            # The measured interval, scaled as its median was.
            banded = [(i, v / entries[i].median) for i, v in series
                      if entries[i].ci_low is not None]
            if banded:
                ax.fill_between([xs[i] for i, _ in banded],
                                [entries[i].ci_low * k for i, k in banded],
                                [entries[i].ci_high * k for i, k in banded],
                                color=line.get_color(), alpha=0.2)
            # As measured, where the state moved it; hollow: no level for its state.
            moved = [(i, e.median) for i, e in enumerate(entries) if e.valid and e.median]
            normal = dict(series)
            ax.plot([xs[i] for i, m in moved if i in normal], [m for i, m in moved if i in normal],
                    ".", color=line.get_color(), alpha=0.35, markersize=4)
            unusual = [(i, m) for i, m in moved if i not in normal]
            if unusual:
                ax.plot([xs[i] for i, _ in unusual], [m for _, m in unusual], "o", mfc="none",
                        color=line.get_color(), markersize=5,
                        label=f"a machine state of < {MIN_RUNS} runs")
            failed = [x for x, e in zip(xs, entries) if not e.valid]
            if failed and moved:
                low = min(m for _, m in moved)
                ax.plot(failed, [low] * len(failed), "x", color="red", label="failed")
            for s in shifts:
                if (s.machine, s.family, s.name) == (machine, family, name):
                    x = xs[s.index - 1] + (xs[s.index] - xs[s.index - 1]) / 2
                    ax.axvline(x, color="black", linestyle="--", linewidth=1)
                    ax.annotate(f"{s.change:+.0%}", (x, 1), xycoords=("data", "axes fraction"),
                                va="top", ha="left", fontsize=8)
        if not by_date:
            step = max(1, len(positions) // MAX_LABELS)
            runs = sorted(positions, key=positions.get)[::step]
            ax.set_xticks([positions[r] for r in runs], [_short(r[1]) for r in runs],
                          rotation=90, fontsize=6)
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
    axes[0][0].set_ylabel("ops/s: median in the usual state\n(dots: as measured)", fontsize=8)
    if by_date:
        fig.autofmt_xdate()
    x_axis = "date" if by_date else "commit, oldest first"
    fig.suptitle(f"{family}: throughput over runs (x: {x_axis}); line: in the point's usual "
                 f"machine state, dots: as measured, hollow: a state of fewer than {MIN_RUNS} "
                 "runs")
    fig.tight_layout()
    return save_figure(fig, os.path.join(out_dir, f"history-{family}"))


def write_trends(history, out_dir, min_effect, alpha, states, by_date=False):
    """Draws the figures and index.html; returns (index path, shifts).
    states: {machine: MachineStates} over all the machine's points; by_date:
    x is the runs' dates, not their order."""
    os.makedirs(out_dir, exist_ok=True)
    normalized = normalized_series(history, states)
    shifts = detect(history, normalized, min_effect, alpha)
    figures = [(family, _draw_family(family, history, normalized, shifts, out_dir, by_date))
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
    states_text = html.escape("; ".join(
        f"{machine}: {states[machine].describe(states[machine].probes)}" for machine in
        sorted(states)))
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>lockbench history</title><style>{STYLE}</style></head>
<body><h1>lockbench history</h1>
<p>Change points: a shift of a point's median of at least {min_effect:.0%}, a step and not a
drift, with a Mann-Whitney U test (Bonferroni over the candidate splits) below {alpha}
(<code>reports/changepoints.py</code>), tested on each point's medians as if measured in
its usual machine state. Each repetition probes the hand-off latency between two of its CPUs
after its window; a VM's host moves its vCPUs nearer or farther apart for minutes, and the
points with cross-CPU traffic move with it. Repetitions are divided by their state's level
for the point (<code>reports/machine_state.py</code>); runs in a state seen in fewer than
{MIN_RUNS} runs of a point are hollow and not tested. States per machine: {states_text}.</p>
<h2>Change points</h2>{table}{images}
</body></html>
"""
    path = os.path.join(out_dir, "index.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path, shifts
