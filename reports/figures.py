"""Drawing: a figure of panels side by side, each a set of curves over threads
(or, for a sweep at one thread count, over the parameter it varies).

Every report figure goes through draw_panels, so they share their look: the
x values on a log2 axis with the measured values as ticks (linear when one is
not positive), a log y axis when the values span more than a decade, error
bars from the repetitions, failed points marked where they would have been,
and the oversubscribed region (more threads than CPUs: the scheduler decides
as much as the lock) shaded.
"""

from dataclasses import dataclass, field

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Variant kinds are told apart by line style, so the design under test stands out.
KIND_STYLE = {
    "global": dict(linestyle="-", marker="o", linewidth=2.2),
    "scalable": dict(linestyle="-", marker="s", linewidth=2.2),
    "reference": dict(linestyle="--", marker=".", linewidth=1.2, alpha=0.8),
    "broken": dict(linestyle=":", marker="x", linewidth=1.0),
}


@dataclass
class Curve:
    label: str
    xs: list
    ys: list
    err: list = None  # [(below, above)] per point, or None
    style: dict = field(default_factory=dict)


@dataclass
class Panel:
    title: str
    curves: list
    failed_xs: list = field(default_factory=list)
    reference_line: float = None  # a horizontal line (1.0 for speedups)
    oversubscribed_from: int = None  # the fewest threads that oversubscribe, if drawn
    bound: Curve = None  # a limit drawn as a line (the hand-off bound)
    xlabel: str = "threads"


def _shade_oversubscribed(ax, panel):
    """Shades from between the last thread count that fits the CPUs and the
    first that does not to the right edge."""
    ticks = _ticks(panel)
    below = [t for t in ticks if t < panel.oversubscribed_from]
    start = (below[-1] * panel.oversubscribed_from) ** 0.5 if below else ticks[0] / 1.5
    end = ticks[-1] * 1.5
    ax.axvspan(start, end, color="grey", alpha=0.12, linewidth=0,
               label="oversubscribed (threads > CPUs): scheduler-bound")
    ax.set_xlim(min(ax.get_xlim()[0], ticks[0] / 1.5), end)


def _ticks(panel):
    return sorted({x for c in panel.curves for x in c.xs} | set(panel.failed_xs))


def draw_panels(title, ylabel, panels, path_stem, ylim=None):
    """Saves PATH_STEM.png and .svg; returns the PNG path, or None with no curve."""
    panels = [p for p in panels if p.curves]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8), squeeze=False,
                             sharey=True)
    values = [y for p in panels for c in p.curves for y in c.ys if y > 0]
    log_y = ylim is None and values and max(values) / min(values) > 10
    for ax, panel in zip(axes[0], panels):
        for c in panel.curves:
            yerr = list(zip(*c.err)) if c.err else None
            ax.errorbar(c.xs, c.ys, yerr=yerr, capsize=3 if yerr else 0, label=c.label,
                        **c.style)
        for x in panel.failed_xs:
            ax.axvline(x, color="red", alpha=0.3, linestyle=":")
        if panel.bound:
            ax.plot(panel.bound.xs, panel.bound.ys, label=panel.bound.label, **panel.bound.style)
        if panel.oversubscribed_from:
            _shade_oversubscribed(ax, panel)
        if panel.reference_line is not None:
            ax.axhline(panel.reference_line, color="grey", linewidth=1)
        # The panels share their y axis, scale included: set it on a panel that
        # has something to draw there (a panel of zeros cannot be log-scaled).
        if log_y and any(y > 0 for c in panel.curves for y in c.ys):
            ax.set_yscale("log")
        if ylim:
            ax.set_ylim(*ylim)
        ticks = _ticks(panel)
        if ticks[0] > 0:
            ax.set_xscale("log", base=2)
        ax.set_xticks(ticks, [str(int(t)) if float(t).is_integer() else f"{t:g}" for t in ticks])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_xlabel(panel.xlabel)
        failed = f" ({len(panel.failed_xs)} failed)" if panel.failed_xs else ""
        ax.set_title(panel.title + failed)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel(ylabel)
    fig.suptitle(title)
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(f"{path_stem}.{ext}", dpi=110)
    plt.close(fig)
    return f"{path_stem}.png"
