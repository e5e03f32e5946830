"""How every report figure is written: a PNG for the page and an SVG beside
it for print and zoom, at one resolution, so figures side by side in a
report or across reports have the same scale."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DPI = 110  # the PNG's pixels per inch; the SVG has none


def save_figure(fig, path_stem):
    """Writes PATH_STEM.png and PATH_STEM.svg, closes fig; returns the PNG path."""
    for ext in ("png", "svg"):
        fig.savefig(f"{path_stem}.{ext}", dpi=DPI)
    plt.close(fig)
    return f"{path_stem}.png"
