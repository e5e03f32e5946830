"""Change points in a series of one point's medians over runs.

Binary segmentation on the logarithms of the values, in the spirit of
E-divisive means (as Apache Otava uses it), made robust with ranks and
medians: the candidate split of a segment is where a two-sided Mann-Whitney
U test separates the two sides best (each side at least MIN_SIZE runs); it
counts when

  - the shift of the sides' medians is at least min_effect (relative) and at
    least MIN_SIGMAS times the series' own scatter around its sides' medians,
  - the shift is a step, not a drift: the MIN_SIZE runs on each side of the
    split differ by at least as much, and
  - it is significant: the U test's p-value times the number of splits the
    best was chosen from (Bonferroni) is below alpha. (A permutation test of
    a median statistic, tried first, cannot reach 0.05 on 12 runs with a step
    at run 8.)

Each side is then searched again. Medians over at least MIN_SIZE runs make a
single outlier unable to move a side; a slow drift shows in the trend plot
but is not a change point. Known limit: a shift reverted after as few runs
as it lasted (a short plateau in a long series) may be missed, since each
split compares whole segments.
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import mannwhitneyu

from reports.uncertainty import robust_spread

MIN_SIZE = 3
MIN_SIGMAS = 3  # a shift smaller than this many of the series' own scatter is noise


@dataclass
class ChangePoint:
    index: int  # the first run after the shift
    before: float  # median of the segment before
    after: float  # ... and after
    p_value: float

    @property
    def shift(self):
        return self.after / self.before - 1


def change_points(values, min_effect=0.10, alpha=0.05):
    """The change points of a series of positive values, in order."""
    x = np.log(np.maximum(np.asarray(values, dtype=float), 1e-300))
    found = []
    _segment(x, 0, len(x), np.log1p(min_effect), alpha, found)
    return sorted(found, key=lambda c: c.index)


def _splits(x):
    """Every split of a segment, each side at least MIN_SIZE runs, with the
    two-sided Mann-Whitney U p-value of its sides and its effect: the smaller
    of the shift between the sides' medians and the shift between the
    MIN_SIZE runs on either side (a step has both; a drift or an outlier not)."""
    for i in range(MIN_SIZE, len(x) - MIN_SIZE + 1):
        whole = abs(np.median(x[:i]) - np.median(x[i:]))
        local = abs(np.median(x[i - MIN_SIZE:i]) - np.median(x[i:i + MIN_SIZE]))
        p_value = float(mannwhitneyu(x[:i], x[i:], alternative="two-sided").pvalue)
        yield i, p_value, min(whole, local)


def _noise(x, split):
    """The series' scatter around its sides' medians."""
    residuals = np.r_[x[:split] - np.median(x[:split]), x[split:] - np.median(x[split:])]
    return robust_spread(residuals)


def _segment(x, lo, hi, log_effect, alpha, found):
    part = x[lo:hi]
    if len(part) < 2 * MIN_SIZE:
        return
    # The split whose sides the ranks separate best (the larger effect
    # breaks ties).
    splits = list(_splits(part))
    split, p_value, effect = min(splits, key=lambda s: (s[1], -s[2]))
    if effect < log_effect or effect < MIN_SIGMAS * _noise(part, split):
        return
    p_value = min(1.0, p_value * len(splits))  # the best of len(splits): Bonferroni
    if p_value >= alpha:
        return
    found.append(ChangePoint(lo + split, float(np.exp(np.median(part[:split]))),
                             float(np.exp(np.median(part[split:]))), p_value))
    _segment(x, lo, lo + split, log_effect, alpha, found)
    _segment(x, lo + split, hi, log_effect, alpha, found)
