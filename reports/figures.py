"""Drawing: a figure of panels side by side, each a set of curves over threads
(or, for a sweep at one thread count, over the parameter it varies).

Every report figure goes through draw_panels, so they share their look: the
x values on a log2 axis with the measured values as ticks (linear when one is
not positive), a log y axis when the values span more than a decade, error
bars from the repetitions, failed points marked where they would have been,
the oversubscribed region (more threads than CPUs: the scheduler decides
as much as the lock) shaded, and, over threads, the counts at which a compact
placement has just filled a level of the machine (one core, one L3 cache, one
NUMA node, ...: curves bend there) marked by thin labelled lines.
"""

from dataclasses import dataclass, field

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from reports.figure_files import save_figure  # noqa: E402

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
    band: tuple = None  # (lows, highs) per x, shaded: a fitted curve's 95% band


@dataclass
class Panel:
    title: str
    curves: list
    failed_xs: list = field(default_factory=list)
    reference_line: float = None  # a horizontal line (1.0 for speedups)
    oversubscribed_from: int = None  # the fewest threads that oversubscribe, if drawn
    bound: Curve = None  # a limit drawn as a line (the hand-off bound)
    xlabel: str = "threads"
    boundaries: list = field(default_factory=list)  # [(threads, what)] to mark
    fits: list = field(default_factory=list)  # fitted curves (with bands) over the points


BOUNDARY_COLOR = "#6a3d9a"  # apart from the curves' colours and the grey shading


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


def _boundaries_in_range(panel):
    """The panel's boundaries within its x values: a mark beyond them would
    widen the axis for nothing measured."""
    ticks = _ticks(panel)
    return [(threads, what) for threads, what in panel.boundaries
            if ticks[0] <= threads <= ticks[-1]]


def boundary_label(threads, what, width=26):
    """"16: one L3 cache, one package,\none NUMA node": the levels a count
    fills, broken between them into lines of about width characters, so a
    long list (a small VM's one count fills everything) stays short."""
    parts = what.split(", ")
    lines = [f"{threads}: {parts[0]}"]
    for part in parts[1:]:
        if len(lines[-1]) + len(part) + 2 <= width:
            lines[-1] += ", " + part
        else:
            lines[-1] += ","
            lines.append(part)
    return "\n".join(lines)


def _mark_boundaries(ax, panel):
    """A thin line at each boundary, its label written upwards above the
    plot, where neither the curves nor the legend are (the legend avoids the
    lines as it avoids the curves); returns the labels."""
    labels = []
    for threads, what in _boundaries_in_range(panel):
        ax.axvline(threads, color=BOUNDARY_COLOR, linewidth=0.8, linestyle="--", alpha=0.6)
        labels.append(ax.annotate(boundary_label(threads, what), (threads, 1),
                                  xycoords=ax.get_xaxis_transform(), xytext=(0, 3),
                                  textcoords="offset points", rotation=90, ha="center",
                                  va="bottom", multialignment="left", fontsize=7,
                                  color=BOUNDARY_COLOR))
    return labels


def _make_room_above(fig, axes, labels):
    """Raises the panels' titles over the boundary labels, and the figure by
    as much, so the plots keep their height."""
    renderer = fig.canvas.get_renderer()
    height = max(label.get_window_extent(renderer).height for label in labels) * 72 / fig.dpi
    for ax in axes:
        ax.set_title(ax.get_title(), pad=height + 8)
    width, old_height = fig.get_size_inches()
    fig.set_size_inches(width, old_height + height / 72)


def _unclutter_ticks(fig, axes):
    """Turns the x tick labels of a panel upright where neighbours overlap
    (thread counts 192 and 256, or 384 and 512, on a log2 axis up to
    thousands); returns whether any was turned, so the layout is redone."""
    renderer = fig.canvas.get_renderer()
    turned = False
    for ax in axes:
        boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
        if any(a.x1 + 2 > b.x0 for a, b in zip(boxes, boxes[1:])):
            ax.tick_params(axis="x", labelrotation=90)
            turned = True
    return turned


# Thin, dark and dashed over the points' thick coloured line, so the law
# shows where it follows the points and where it parts from them.
FIT_STYLE = dict(color="black", linestyle=(0, (3, 2)), linewidth=1.0, marker="", zorder=3)


def _draw_fits(ax, fits):
    """Each fitted curve over its band, shaded in its points' colour; one
    legend entry says what they are."""
    for c in fits:
        if c.band:
            ax.fill_between(c.xs, *c.band, color=c.style.get("color"), alpha=0.3, linewidth=0)
        ax.plot(c.xs, c.ys, label="_nolegend_", **FIT_STYLE)
    if fits:
        ax.plot([], [], label="fitted scalability law (band: its 95% interval)", **FIT_STYLE)


def _ticks(panel):
    return sorted({x for c in panel.curves for x in c.xs} | set(panel.failed_xs))


def panel_figure(title, ylabel, panels, ylim=None):
    """The figure of the panels that have curves, or None when none has."""
    panels = [p for p in panels if p.curves]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8), squeeze=False,
                             sharey=True)
    values = [y for p in panels for c in p.curves for y in c.ys if y > 0]
    log_y = ylim is None and values and max(values) / min(values) > 10
    labels = []
    for ax, panel in zip(axes[0], panels):
        for c in panel.curves:
            yerr = list(zip(*c.err)) if c.err else None
            ax.errorbar(c.xs, c.ys, yerr=yerr, capsize=3 if yerr else 0, label=c.label,
                        **c.style)
        _draw_fits(ax, panel.fits)
        for x in panel.failed_xs:
            ax.axvline(x, color="red", alpha=0.3, linestyle=":")
        if panel.bound:
            ax.plot(panel.bound.xs, panel.bound.ys, label=panel.bound.label, **panel.bound.style)
        # The scale before the shading reads the x limits: a linear axis's
        # margin below 1 thread is negative when the counts reach hundreds.
        ticks = _ticks(panel)
        if ticks[0] > 0:
            ax.set_xscale("log", base=2)
        if panel.oversubscribed_from:
            _shade_oversubscribed(ax, panel)
        labels += _mark_boundaries(ax, panel)
        if panel.reference_line is not None:
            ax.axhline(panel.reference_line, color="grey", linewidth=1)
        # The panels share their y axis, scale included: set it on a panel that
        # has something to draw there (a panel of zeros cannot be log-scaled).
        if log_y and any(y > 0 for c in panel.curves for y in c.ys):
            ax.set_yscale("log")
        if ylim:
            ax.set_ylim(*ylim)
        ax.set_xticks(ticks, [str(int(t)) if float(t).is_integer() else f"{t:g}" for t in ticks])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_xlabel(panel.xlabel)
        failed = f" ({len(panel.failed_xs)} failed)" if panel.failed_xs else ""
        ax.set_title(panel.title + failed)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel(ylabel)
    fig.suptitle(title)
    if labels:
        _make_room_above(fig, axes[0], labels)
    fig.tight_layout()
    if _unclutter_ticks(fig, axes[0]):
        fig.tight_layout()
    return fig


def draw_panels(title, ylabel, panels, path_stem, ylim=None):
    """Saves PATH_STEM.png and .svg; returns the PNG path, or None with no curve."""
    fig = panel_figure(title, ylabel, panels, ylim)
    if fig is None:
        return None
    return save_figure(fig, path_stem)
