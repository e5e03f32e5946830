"""Throughput vs threads: one figure per family, one panel per placement."""

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from reports.points import series_key, varying_params  # noqa: E402

# Roles are told apart by line style, so the design under test stands out.
ROLE_STYLE = {
    "global": dict(linestyle="-", marker="o", linewidth=2.2),
    "scalable": dict(linestyle="-", marker="s", linewidth=2.2),
    "reference": dict(linestyle="--", marker=".", linewidth=1.2, alpha=0.8),
    "broken": dict(linestyle=":", marker="x", linewidth=1.0),
}


def curve_label(first, varying):
    extra = ", ".join(f"{n}={first.params[n]}" for n in varying if n in first.params)
    return f"{first.variant} ({first.role})" + (f" {extra}" if extra else "")


def draw_family(family, points, path_stem):
    """Saves PATH_STEM.png and .svg; returns the PNG path, or None if nothing valid."""
    valid = [p for p in points if p.valid]
    if not valid:
        return None
    placements = sorted({p.placement for p in valid})
    fig, axes = plt.subplots(1, len(placements), figsize=(6.5 * len(placements), 4.8),
                             squeeze=False, sharey=True)
    varying = [n for n in varying_params(valid)]
    for ax, placement in zip(axes[0], placements):
        curves = {}
        for p in valid:
            if p.placement == placement:
                curves.setdefault(series_key(p), []).append(p)
        values = []
        for curve in curves.values():
            curve.sort(key=lambda p: p.threads)
            first = curve[0]
            y = [p.median("ops_per_sec") for p in curve]
            err = list(zip(*[p.spread("ops_per_sec") for p in curve]))
            values += y
            ax.errorbar([p.threads for p in curve], y, yerr=err, capsize=3,
                        label=curve_label(first, varying), **ROLE_STYLE.get(first.role, {}))
        failed = [p for p in points if p.placement == placement and not p.valid]
        for p in failed:
            ax.axvline(p.threads, color="red", alpha=0.3, linestyle=":")
        positive = [v for v in values if v > 0]
        if positive and max(positive) / min(positive) > 10:
            ax.set_yscale("log")
        ax.set_xscale("log", base=2)
        ticks = sorted({p.threads for p in points if p.placement == placement})
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_xlabel("threads")
        ax.set_title(f"placement: {placement}" + (f" ({len(failed)} failed)" if failed else ""))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel("throughput (operations/s, median, bars: min-max)")
    fig.suptitle(f"{family}: throughput vs threads")
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(f"{path_stem}.{ext}", dpi=110)
    plt.close(fig)
    return f"{path_stem}.png"
