"""The machine: its limit, the core-to-core hand-off matrix a results file's
calibration holds (lockbench calibrate), drawn as a heatmap; and its shape,
the thread counts at which a compact placement fills a level of it."""

import os

import numpy as np

from reports.figure_files import save_figure
from reports.figures import plt


def handoff_matrix(result_set):
    """(cpus, one-way ns matrix) of a results file, or None if it has none."""
    calibration = result_set.lockbench.get("calibration", {})
    cpus, ns = calibration.get("cpus"), calibration.get("c2c_ns")
    if not cpus or not ns or len(cpus) < 2:
        return None
    return cpus, np.asarray(ns, dtype=float)


def fastest_handoff_ns(result_sets):
    """The smallest one-way latency between two CPUs in any file, or None."""
    fastest = []
    for rs in result_sets:
        matrix = handoff_matrix(rs)
        if matrix:
            ns = matrix[1]
            fastest.append(ns[~np.eye(len(ns), dtype=bool)].min())
    return float(min(fastest)) if fastest else None


def thread_boundaries(result_sets):
    """[(threads, what)], ascending: the counts at which a compact placement
    has just filled a level of the files' machine (topology.thread_boundaries),
    which figures over threads mark; [] when the files do not agree on them.

    A figure overlaying files of different machines (arch) marks nothing
    rather than the first machine's levels: a mark says where curves bend,
    and the other machines' curves bend elsewhere. A file written before the
    boundaries were recorded does not count against them when its topology
    summary is the same (an older run on the same box, compared)."""
    summaries, given = set(), set()
    for rs in result_sets:
        topology = rs.lockbench.get("topology", {})
        summaries.add(topology.get("summary"))
        if "thread_boundaries" in topology:
            given.add(tuple((b["threads"], b["what"]) for b in topology["thread_boundaries"]))
    return list(given.pop()) if len(summaries) == 1 and len(given) == 1 else []


def handoff_figure(result_set, out_dir, stem):
    """Draws STEM.png (and .svg) of one file's matrix; returns (title, png) or None.
    CPUs in hwloc order, so packages and NUMA nodes show as blocks."""
    matrix = handoff_matrix(result_set)
    if not matrix:
        return None
    cpus, ns = matrix
    n = len(cpus)
    size = min(4 + 0.25 * n, 16)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    shown = np.where(np.eye(n, dtype=bool), np.nan, ns)
    image = ax.imshow(shown, cmap="viridis")
    fig.colorbar(image, ax=ax, label="one-way hand-off (ns)")
    ticks = range(0, n, max(1, n // 16))
    ax.set_xticks(list(ticks), [str(cpus[i]) for i in ticks])
    ax.set_yticks(list(ticks), [str(cpus[i]) for i in ticks])
    ax.set_xlabel("to CPU")
    ax.set_ylabel("from CPU")
    if n <= 16:
        for i in range(n):
            for j in range(n):
                if i != j:
                    ax.text(j, i, f"{ns[i][j]:.0f}", ha="center", va="center", color="white",
                            fontsize=8)
    host = result_set.context.get("host_name", "?")
    title = f"core-to-core cache-line hand-off ({host})"
    ax.set_title(title)
    fig.tight_layout()
    return title, save_figure(fig, os.path.join(out_dir, stem))
