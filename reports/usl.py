"""The Universal Scalability Law, fitted to a curve's repetitions.

    X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1))

lambda is the throughput of one thread, sigma the contention (the share of
the work that waits for a single resource, 0 to 1: throughput levels off at
lambda / sigma) and kappa the coherency cost (every pair of threads
exchanging data, >= 0: throughput peaks at N* = sqrt((1 - sigma) / kappa)
and falls after it).

Noise in throughput is multiplicative (a repetition runs some percent faster
or slower), so the fit minimises the residuals of log throughput: every
repetition counts alike at 1 thread and at 1024. The intervals come from a
bootstrap over repetitions (each thread count's repetitions resampled with
replacement, the law refitted, the 2.5th and 97.5th percentiles of the
refits). Whether the law describes the curve at all is judged against the
repetitions' own scatter (lack_of_fit): see docs/scaling-laws.md.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

from reports.uncertainty import CONFIDENCE

NAMES = ("lambda", "sigma", "kappa")
BOOTSTRAP_RESAMPLES = 200
# A kappa whose coherency term moves throughput at the most threads fitted
# by less than this is no different from 0: the fit's bound at 0 leaves
# values like 1e-21 rather than 0 itself.
NEGLIGIBLE = 0.01


def throughput(n, lam, sigma, kappa):
    n = np.asarray(n, dtype=float)
    return lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))


@dataclass
class Law:
    """A fitted law: the estimates and the bootstrap refits (rows of lambda,
    sigma, kappa; none when no thread count had two repetitions)."""
    lam: float
    sigma: float
    kappa: float
    most_threads: int  # the largest count fitted
    refits: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))

    @property
    def values(self):
        return np.array([self.lam, self.sigma, self.kappa])

    def interval(self, name):
        """(low, high) of a parameter, or None without refits."""
        if not len(self.refits):
            return None
        return percentile_interval(self.refits[:, NAMES.index(name)])

    def __call__(self, n):
        return throughput(n, self.lam, self.sigma, self.kappa)

    def band(self, n):
        """(low, high) arrays of X at each n over the refits, or None."""
        if not len(self.refits):
            return None
        return percentile_interval(np.array([throughput(n, *row) for row in self.refits]))

    @property
    def has_peak(self):
        """kappa > 0, and so is its whole interval where there is one: a
        peak is shown only where the data rule out a law without one."""
        interval = self.interval("kappa")
        lowest = interval[0] if interval else self.kappa
        n = self.most_threads
        return lowest * n * (n - 1) >= NEGLIGIBLE

    def peak(self):
        """(N*, its interval or None, X(N*)), or None without a peak."""
        if not self.has_peak:
            return None
        n_star = _peak(self.sigma, self.kappa)
        interval = None
        if len(self.refits):
            interval = percentile_interval(_peak(self.refits[:, 1], self.refits[:, 2]))
        return float(n_star), interval, float(self(n_star))


def percentile_interval(samples):
    """(low, high): the central 95% of bootstrap samples (along the first
    axis: arrays for rows of curves, floats for one value)."""
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(samples, [tail, 100 - tail], axis=0)
    return (float(low), float(high)) if np.ndim(low) == 0 else (low, high)


def _peak(sigma, kappa):
    with np.errstate(divide="ignore", over="ignore"):
        return np.sqrt((1 - sigma) / np.asarray(kappa, dtype=float))


def _residuals(theta, n, log_y):
    log_lam, sigma, kappa = theta
    return log_y - (log_lam + np.log(n) - np.log(1 + sigma * (n - 1) + kappa * n * (n - 1)))


def _jacobian(theta, n, _log_y):
    _, sigma, kappa = theta
    denominator = 1 + sigma * (n - 1) + kappa * n * (n - 1)
    return np.column_stack([-np.ones_like(n), (n - 1) / denominator, n * (n - 1) / denominator])


def _start(threads, repetitions):
    """Where the search starts: N / X(N) is a quadratic in N with
    non-negative coefficients (1, sigma, kappa) / lambda, a linear problem
    (relative residuals: each row divided by its target)."""
    n = np.asarray(threads, dtype=float)
    x = np.array([geometric_mean(r) for r in repetitions])
    target = n / x
    design = np.column_stack([np.ones_like(n), n - 1, n * (n - 1)]) / target[:, None]
    (a, b, c), _ = optimize.nnls(design, np.ones_like(n))
    if a <= 0:  # no finite lambda: start from the fewest-thread rate
        return np.array([np.log(x[0] / n[0]), 0.0, 0.0])
    return np.array([-np.log(a), min(b / a, 1.0), c / a])


def _solve(n, log_y, start):
    bounds = ([-np.inf, 0.0, 0.0], [np.inf, 1.0, np.inf])
    start = np.clip(start, bounds[0], bounds[1])
    result = optimize.least_squares(_residuals, start, jac=_jacobian, bounds=bounds,
                                    x_scale="jac", args=(n, log_y))
    return result.x


def _flatten(threads, repetitions):
    n = np.concatenate([np.full(len(r), t, dtype=float) for t, r in zip(threads, repetitions)])
    return n, np.log(np.concatenate(repetitions))


def _deviations(repetitions):
    """Each count's mean log throughput, and its repetitions' deviations
    from it widened by sqrt(n / (n - 1)): resampling n values shrinks their
    variance by (n - 1) / n, which at 5 repetitions would leave the
    intervals about a tenth too narrow (Davison and Hinkley's modified
    residuals)."""
    centres, spreads = [], []
    for r in repetitions:
        log_r = np.log(r)
        centres.append(np.mean(log_r))
        widen = np.sqrt(len(r) / (len(r) - 1)) if len(r) > 1 else 1.0
        spreads.append((log_r - np.mean(log_r)) * widen)
    return centres, spreads


def resample(repetitions, resamples, seed):
    """Yields `resamples` bootstrap draws of the repetitions: each count's
    repetitions drawn with replacement, as modified residuals about its
    mean."""
    rng = np.random.default_rng(seed)
    centres, spreads = _deviations(repetitions)
    for _ in range(resamples):
        yield [np.exp(c + d[rng.integers(0, len(d), len(d))]) for c, d in zip(centres, spreads)]


def geometric_mean(values):
    return float(np.exp(np.mean(np.log(values))))


def fit(threads, repetitions, resamples=BOOTSTRAP_RESAMPLES, seed=0):
    """The law fitted to repetitions[i] (positive throughputs) measured at
    threads[i]; refitted to `resamples` bootstrap resamples when some count
    has two repetitions or more."""
    repetitions = [np.asarray(r, dtype=float) for r in repetitions]
    n, log_y = _flatten(threads, repetitions)
    theta = _solve(n, log_y, _start(threads, repetitions))
    refits = np.empty((0, 3))
    if any(len(r) > 1 for r in repetitions) and resamples:
        rows = [_solve(*_flatten(threads, drawn), theta)
                for drawn in resample(repetitions, resamples, seed)]
        refits = np.array(rows)
        refits[:, 0] = np.exp(refits[:, 0])
    return Law(float(np.exp(theta[0])), float(theta[1]), float(theta[2]), max(threads), refits)


def lack_of_fit(threads, repetitions, law):
    """The p-value of the pure-error lack-of-fit F test, in log throughput:
    the scatter of the counts' means about the law against the scatter of
    repetitions about their count's mean. None when there is no pure error
    to judge by (one repetition per count) or no spare count (as many
    counts as parameters)."""
    pure = sum(float(np.sum((np.log(r) - np.mean(np.log(r))) ** 2)) for r in repetitions)
    pure_df = sum(len(r) for r in repetitions) - len(repetitions)
    misfit_df = len(repetitions) - len(NAMES)
    if pure_df <= 0 or misfit_df <= 0:
        return None
    predicted = np.log(law(threads))
    misfit = sum(len(r) * (np.mean(np.log(r)) - p) ** 2 for r, p in zip(repetitions, predicted))
    if pure == 0:
        return 0.0 if misfit > 0 else 1.0
    ratio = (misfit / misfit_df) / (pure / pure_df)
    return float(stats.f.sf(ratio, misfit_df, pure_df))
