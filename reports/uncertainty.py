"""Intervals for medians and for ratios of medians, from repetitions.

The median's interval comes from order statistics (the count of repetitions
below the true median is Binomial(n, 1/2)), the same rule the harness uses
to stop adaptive repetitions: distribution-free, and undefined below 6
repetitions. A ratio of two medians (a speedup) gets a percentile bootstrap
over the repetitions of both points.
"""

import numpy as np
from scipy import stats

CONFIDENCE = 0.95

# The median absolute deviation times this estimates a standard deviation
# for normal noise (it is 1 / the normal's 75th percentile); unlike one, a
# few outliers cannot move it.
MAD_TO_SIGMA = 1.4826


def robust_spread(deviations):
    """The scatter of deviations from a centre (a median), in the units of a
    standard deviation: MAD_TO_SIGMA times their median absolute value."""
    return MAD_TO_SIGMA * float(np.median(np.abs(deviations)))


def median_interval(values, confidence=CONFIDENCE):
    """(low, high) of the median, or None when even (min, max) covers less."""
    v = np.sort(np.asarray(values, dtype=float))
    n = len(v)
    best = None
    for k in range(1, (n + 1) // 2 + 1):
        if 1 - 2 * stats.binom.cdf(k - 1, n, 0.5) < confidence:
            break
        best = (float(v[k - 1]), float(v[n - k]))
    return best


def relative_half_width(values):
    """Half the median interval's width over the median, or None."""
    interval = median_interval(values)
    if interval is None:
        return None
    median = float(np.median(values))
    half = (interval[1] - interval[0]) / 2
    return 0.0 if half == 0 else (half / abs(median) if median else float("inf"))


def ratio_interval(numerator, denominator, confidence=CONFIDENCE, seed=0):
    """(low, high) of median(numerator) / median(denominator), or None when
    either has fewer than 3 repetitions or a median of 0."""
    a = np.asarray(numerator, dtype=float)
    b = np.asarray(denominator, dtype=float)
    if len(a) < 3 or len(b) < 3 or np.median(b) == 0:
        return None
    if np.all(a == a[0]) and np.all(b == b[0]):
        ratio = float(a[0] / b[0])
        return ratio, ratio

    def ratio_of_medians(x, y, axis):
        below = np.median(y, axis=axis)
        return np.median(x, axis=axis) / np.where(below == 0, np.nan, below)

    result = stats.bootstrap((a, b), ratio_of_medians, confidence_level=confidence,
                             method="percentile", n_resamples=2000, vectorized=True,
                             random_state=np.random.default_rng(seed))
    low, high = result.confidence_interval
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    return float(low), float(high)
