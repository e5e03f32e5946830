"""The figures of one family: measurements vs threads (or vs the parameter a
sweep at one thread count varies), one panel per placement.

Throughput, speedup of the scalable variants over the global one, fairness,
latency percentiles, and the family's own counters where they tell its story.
"""

import json
import os
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from reports.figures import KIND_STYLE, Curve, Panel, draw_panels
from reports.fits import point_key
from reports.points import median_spread, varying_params
from reports.uncertainty import ratio_interval

def counter_values(point, figure):
    """Per repetition: the figure's counter, per second of the window when the
    family declares it a total."""
    out = []
    for r in point.runs:
        value = float(r["counters"][figure["counter"]])
        out.append(value / float(r["seconds"]) if figure["scale"] == "per_second" else value)
    return out


# Line styles of the results files when one figure overlays several.
SOURCE_LINESTYLES = ["--", "-", ":", "-."]


@dataclass(frozen=True)
class Axis:
    """What a placement's panel draws over: "threads", or, when all its points
    ran at one thread count, the numeric parameter they vary most (a payload
    size curve), with that count."""
    placement: str
    x: str
    threads: int = None


def axes_of(points):
    axes = []
    for placement in sorted({p.placement for p in points}):
        here = [p for p in points if p.placement == placement]
        counts = {p.threads for p in here}
        numeric = [n for n in varying_params(here)
                   if all(_is_number(p.params.get(n)) for p in here)]
        if len(counts) == 1 and numeric:
            x = max(numeric, key=lambda n: (len({p.params[n] for p in here}), n))
            axes.append(Axis(placement, x, counts.pop()))
        else:
            axes.append(Axis(placement, "threads"))
    return axes


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class FamilyPlot:
    """The points of one family, grouped into curves per placement.

    sources: {results file: name} when the points come from several files
    (compare, arch): each curve is then tagged with its file's name and drawn in
    the file's line style, in the colour of its variant and parameters.
    boundaries: [(threads, what)] marked on the panels over threads
    (reports.machine.thread_boundaries).
    """

    def __init__(self, family, points, sources=None, boundaries=()):
        self.family = family
        self.points = points
        self.valid = [p for p in points if p.valid]
        self.varying = varying_params(self.valid)
        self.axes = axes_of(points)
        self.axis_of = {axis.placement: axis for axis in self.axes}
        self.sources = sources or {}
        self.source_index = {path: i for i, path in enumerate(self.sources)}
        self.boundaries = list(boundaries)
        # A colour per variant and parameters, the same in every figure.
        labels = sorted({self.series_label(p) for p in points})
        cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        self.colors = {label: cycle[i % len(cycle)] for i, label in enumerate(labels)}

    def x(self, point):
        axis = self.axis_of[point.placement]
        return point.threads if axis.x == "threads" else point.params[axis.x]

    def curve_params(self, point):
        """The settings that tell a point's curve apart: all but the x axis's."""
        x = self.axis_of[point.placement].x
        return {n: v for n, v in point.settings.items() if n != x}

    def series_label(self, point):
        params = self.curve_params(point)
        extra = ", ".join(f"{n}={params[n]}" for n in self.varying if n in params)
        return f"{point.variant} ({point.kind})" + (f" {extra}" if extra else "")

    def label(self, point):
        name = self.sources.get(point.source)
        return self.series_label(point) + (f" [{name}]" if name else "")

    def style(self, point, **override):
        style = {**KIND_STYLE.get(point.kind, {}), "color": self.colors[self.series_label(point)]}
        if point.source in self.source_index:
            index = self.source_index[point.source]
            style["linestyle"] = SOURCE_LINESTYLES[index % len(SOURCE_LINESTYLES)]
        return {**style, **override}

    def curve_key(self, point):
        """Points of one curve share all but their x: file, variant, parameters."""
        return (point.source, point.variant,
                json.dumps(self.curve_params(point), sort_keys=True))

    def curves(self, axis, only=None):
        """{curve key: points sorted by x} of the valid points of a placement
        (those the predicate only is true of)."""
        out = {}
        for p in self.valid:
            if p.placement == axis.placement and (only is None or only(p)):
                out.setdefault(self.curve_key(p), []).append(p)
        for curve in out.values():
            curve.sort(key=self.x)
        return out

    def failed(self, axis, only=None):
        return sorted({self.x(p) for p in self.points
                       if p.placement == axis.placement and not p.valid
                       and (only is None or only(p))})

    def oversubscribed_from(self, axis):
        """The fewest threads at which the placement's points oversubscribe."""
        counts = [p.threads for p in self.points
                  if p.placement == axis.placement and p.oversubscribed]
        return min(counts) if counts else None

    def panel(self, axis, curves, only=None, **kwargs):
        if axis.x == "threads":
            return Panel(f"placement: {axis.placement}", curves, self.failed(axis, only),
                         oversubscribed_from=self.oversubscribed_from(axis),
                         boundaries=self.boundaries, **kwargs)
        # One thread count: oversubscribed or not, the whole panel is.
        regime = " (oversubscribed)" if self.oversubscribed_from(axis) else ""
        return Panel(f"placement: {axis.placement}, threads: {axis.threads}{regime}", curves,
                     self.failed(axis, only), xlabel=axis.x, **kwargs)

    def metric_panels(self, values_of, style_override=None, label_suffix="", bound_ns=None,
                      only=None):
        """values_of(point, curve) gives a point's per-repetition values (a
        point with none is left out); bound_ns, a one-way hand-off latency,
        draws the rate it allows; only, a predicate, keeps the points it is
        true of."""
        panels = []
        for axis in self.axes:
            curves = []
            for curve in self.curves(axis, only).values():
                measured = [(p, values_of(p, curve)) for p in curve]
                measured = [(p, values) for p, values in measured if len(values)]
                if not measured:
                    continue
                stats = [median_spread(values) for _, values in measured]
                curves.append(Curve(self.label(curve[0]) + label_suffix,
                                    [self.x(p) for p, _ in measured], [m for m, _ in stats],
                                    [s for _, s in stats],
                                    self.style(curve[0], **(style_override or {}))))
            panels.append(self.panel(axis, curves, only,
                                     bound=self.handoff_bound(axis, bound_ns)))
        return panels

    def fit_lines(self, axis, fits):
        """The fitted law of each curve of a panel over threads, from its
        fewest threads to its most within the CPUs; where the law does not
        describe a whole curve, the law within its first boundary, drawn on
        over the counts past it, where the points part from it. fits:
        {key: CurveFit}."""
        if axis.x != "threads":
            return []
        lines = []
        for curve in self.curves(axis).values():
            fit = fits.get(point_key(curve[0]))
            if fit is None or not (fit.fits or fit.inner):
                continue
            law = fit.law if fit.fits else fit.inner.law
            xs = np.geomspace(fit.threads[0], fit.threads[-1], 64)
            lines.append(Curve(self.label(curve[0]) + " (fit)", list(xs), list(law(xs)),
                               style={"color": self.style(curve[0])["color"]},
                               band=law.band(xs)))
        return lines

    def handoff_bound(self, axis, bound_ns):
        """1e9 / bound_ns over the thread counts from 2 that fit the CPUs."""
        if not bound_ns or axis.x != "threads":
            return None
        limit = self.oversubscribed_from(axis)
        xs = sorted({p.threads for p in self.valid if p.placement == axis.placement
                     and p.threads >= 2 and (limit is None or p.threads < limit)})
        if not xs:
            return None
        # A segment a little beyond the counts it bounds, visible at one count.
        return Curve(f"hand-off bound: 1e9 / {bound_ns:.0f} ns", [xs[0] / 1.3, xs[-1] * 1.3],
                     [1e9 / bound_ns] * 2, style=dict(color="black", linestyle="-.", linewidth=1.5))

    def speedup_panels(self):
        """Median throughput of each scalable variant over the global one with the
        same parameters, at each x both measured."""
        panels = []
        for axis in self.axes:
            curves = self.curves(axis)
            baselines = {}
            for curve in curves.values():
                if curve[0].kind == "global":
                    baselines[self.baseline_key(curve[0])] = {self.x(p): p for p in curve}
            lines = []
            for curve in curves.values():
                base = baselines.get(self.baseline_key(curve[0]))
                if curve[0].kind != "scalable" or not base:
                    continue
                pairs = [(p, base[self.x(p)]) for p in curve if self.x(p) in base]
                pairs = [(p, b) for p, b in pairs if b.median("ops_per_sec") > 0]
                if pairs:
                    ratios = [speedup(p, b) for p, b in pairs]
                    lines.append(Curve(self.label(curve[0]) + " / global",
                                       [self.x(p) for p, _ in pairs], [r for r, _ in ratios],
                                       [bar(r, interval) for r, interval in ratios],
                                       self.style(curve[0])))
            panels.append(self.panel(axis, lines, reference_line=1.0))
        return panels

    def baseline_key(self, point):
        """What a scalable curve and its global baseline share: file and parameters."""
        return point.source, json.dumps(self.curve_params(point), sort_keys=True)


def speedup(point, baseline):
    """The ratio of median throughputs and its 95% interval (or None)."""
    ratio = point.median("ops_per_sec") / baseline.median("ops_per_sec")
    return ratio, ratio_interval(point.values("ops_per_sec"), baseline.values("ops_per_sec"))


def bar(value, interval):
    """An error bar (below, above) from an interval; none without one."""
    return (value - interval[0], interval[1] - value) if interval else (0, 0)


def _throughput(point, _curve):
    return point.values("ops_per_sec")


def _normalised_throughput(point, curve):
    """Throughput over the median at the curve's fewest threads (one where
    measured); nothing for a curve of one count, which has no shape."""
    if len(curve) < 2:
        return []
    base = curve[0].median("ops_per_sec")
    return point.values("ops_per_sec") / base if base > 0 else point.values("ops_per_sec") * 0


def _scheduler_counts(point):
    """What the OS did to the point's threads in each repetition's window
    (its entry's scheduler), of the repetitions that say: none in files
    written before it was recorded, nor where it was "not available"."""
    return [r["scheduler"] for r in point.runs if isinstance(r.get("scheduler"), dict)]


def _switches_per_op(point, _curve):
    return [float(s["switches_per_op"]) for s in _scheduler_counts(point)
            if _is_number(s.get("switches_per_op"))]


def _migrations_per_second(point, _curve):
    # migrations is "not available" where the OS does not count them.
    return [s["migrations"] / s["seconds"] for s in _scheduler_counts(point)
            if _is_number(s.get("migrations")) and _is_number(s.get("seconds"))
            and s["seconds"] > 0]


def _is_oversubscribed(point):
    return point.oversubscribed


# Drawn for the oversubscribed points only, where the scheduler decides the
# throughput: within the CPUs pinned threads barely switch, and their zeros
# and near-zeros would stretch a log axis over orders of magnitude.
# (file name, title, y label, values)
SCHEDULER_FIGURES = [
    ("scheduler-switches", "OS context switches per operation (oversubscribed)",
     "context switches per operation, voluntary + involuntary\n"
     "(what the OS did to the threads in the window; median)", _switches_per_op),
    ("scheduler-migrations", "OS thread migrations per second (oversubscribed)",
     "thread migrations between CPUs per second\n"
     "(what the OS did to the threads in the window; median)", _migrations_per_second),
]


def throughput_label(operation):
    return (f"throughput ({operation or 'operations'}/s; median; bars: its 95% interval,\n"
            "min-max below 6 repetitions)")
ALL_FIGURES = ("throughput", "scheduler", "speedup", "fairness", "latency", "counters")


def family_figures(family, points, out_dir, report, sources=None, kinds=ALL_FIGURES, prefix="",
                   handoff_ns=None, boundaries=(), fits=None):
    """Draws the family's figures of the given kinds into out_dir; returns
    [(title, png)]. report: what the family declares for it (load.family_report);
    sources and boundaries as for FamilyPlot; prefix starts the file names;
    handoff_ns (the fastest one-way hand-off) bounds the throughput of a
    family that says so; fits ({key: CurveFit}, reports.fits) are drawn
    over the throughput points. The scheduler figures, when a point has what they
    draw, follow the throughput figure they explain."""
    plot = FamilyPlot(family, points, sources, boundaries)
    stem = os.path.join(out_dir, prefix + family)
    figures = []

    def add(title, ylabel, panels, name, **kwargs):
        png = draw_panels(f"{family}: {title}", ylabel, panels, f"{stem}-{name}", **kwargs)
        if png:
            figures.append((f"{family}: {title}", png))

    if "throughput" in kinds:
        bound = handoff_ns if report.get("handoff_bound") else None
        panels = plot.metric_panels(_throughput, bound_ns=bound)
        for axis, panel in zip(plot.axes, panels):
            panel.fits = plot.fit_lines(axis, fits or {})
        add("throughput", throughput_label(report.get("operation")), panels, "throughput")
    if "scheduler" in kinds:
        for name, title, ylabel, values_of in SCHEDULER_FIGURES:
            add(title, ylabel, plot.metric_panels(values_of, only=_is_oversubscribed), name)
    if "normalised" in kinds:
        add("throughput relative to the fewest threads",
            "throughput / throughput at the curve's fewest threads (x)",
            plot.metric_panels(_normalised_throughput), "normalised")
    if "speedup" in kinds:
        add("speedup of the scalable design over the global lock",
            "speedup (median throughput ratio, x;\nbars: 95% bootstrap interval)",
            plot.speedup_panels(), "speedup")
    if "fairness" in kinds:
        add("fairness", "Jain's fairness index (1 = equal shares)",
            plot.metric_panels(lambda p, _: p.values("fairness")), "fairness", ylim=(0, 1.05))
    # A family whose workload times nothing has no latency to draw.
    timed = any(r.get("latency_ns", {}).get("samples", 0) > 0 for p in plot.valid for r in p.runs)
    if "latency" in kinds and timed:
        latency = plot.metric_panels(lambda p, _: p.values("latency_ns", "p99"),
                                     dict(linestyle="-", marker="o"), " p99")
        if not sources:  # one file: p50 beside p99; several: p99 only, to stay readable
            p50 = plot.metric_panels(lambda p, _: p.values("latency_ns", "p50"),
                                     dict(linestyle=":", marker="."), " p50")
            for panel, lower in zip(latency, p50):
                panel.curves += lower.curves
        add("latency percentiles", "latency of the contended operation (ns)",
            latency, "latency")
    if "counters" in kinds:
        for figure in report.get("figures", []):
            counter = figure["counter"]
            if any(counter in r.get("counters", {}) for p in plot.valid for r in p.runs):
                add(counter, figure["label"],
                    plot.metric_panels(lambda p, _, f=figure: counter_values(p, f)), counter)
    return figures
