"""The judgements compare, the history gate and the report make, one
enumeration per concept. Each member's value is the word users read in
compare.md, index.html and summary.md, so code names a verdict and every
output prints it as before (a StrEnum formats as its value)."""

import enum


class Verdict(enum.StrEnum):
    """The verdict on one point's measure between a baseline and a candidate:
    two files (compare) or the history's runs (the history gate)."""

    REGRESSION = "regression"  # worse beyond the threshold, and significant
    IMPROVEMENT = "improvement"  # better beyond the threshold, and significant
    SAME = "same"  # within the threshold (for latency, or the absolute floor)
    INCONCLUSIVE = "inconclusive"  # beyond the threshold, not significant (compare)
    STATE_DIFFERS = "machine state differs"  # no state shared: not judged (compare)
    NOT_CONFIRMED = "not confirmed"  # a regression measuring again did not repeat (gate)


class Unjudged(enum.StrEnum):
    """Why the history gate did not judge a point."""

    TOO_LITTLE_HISTORY = "too little history"
    OVERSUBSCRIBED = "oversubscribed"
    STATE_NOT_IN_HISTORY = "machine state not in the history"
    FAILED_IN_HISTORY_TOO = "failed here and in the history"


class Outcome(enum.StrEnum):
    """A whole comparison's verdict, the bold line that ends compare.md."""

    REGRESSION = "REGRESSION"
    NO_REGRESSION = "no regression"
    NOTHING_COMPARED = "NOTHING COMPARED"

    @classmethod
    def of(cls, judged, regressed):
        """The outcome of a comparison that judged `judged` points."""
        if not judged:
            return cls.NOTHING_COMPARED
        return cls.REGRESSION if regressed else cls.NO_REGRESSION


class Stability(enum.StrEnum):
    """The harness's verdict on whether a point's repetitions support its
    median (the median entry's "stability", harness/sweep/stats.cc): STABLE,
    or else the harness's reason (bimodal, no interval, interval too wide),
    shown as written. NOT_GIVEN: a point without a median entry."""

    STABLE = "stable"
    NOT_GIVEN = "-"
