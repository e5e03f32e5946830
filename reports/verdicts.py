"""The report's opening: one sentence per family saying which design wins
at the most threads within the CPUs, by how much and how sure (the
headline speedup and its interval), and where each of the two stops
scaling (its fitted law, reports.fits).

"spinlock, 64 threads, compact: mcs beats ticket 4.1x (95% 3.9-4.3x);
ticket stops scaling at 12 threads (95% 10-15) within one L3 cache and
loses 39% (95% 37-42%) crossing one package; mcs stops scaling at 42
threads (95% 39-45)."
"""

import html

from reports.fits import MATERIAL, point_key
from reports.headline import speedup_pairs
from reports.summary import fmt


def winner(scalable, base, ratio, interval):
    """Who wins by how much; a tie where the interval holds 1."""
    if interval is None:
        return (f"{scalable.variant} runs {fmt(ratio)}x {base.variant} (no interval: fewer "
                "than 3 repetitions)")
    low, high = interval
    if low > 1:
        return f"{scalable.variant} beats {base.variant} {fmt(ratio)}x (95% {fmt(low)}-{fmt(high)}x)"
    if high < 1:
        return (f"{base.variant} beats {scalable.variant} {fmt(1 / ratio)}x "
                f"(95% {fmt(1 / high)}-{fmt(1 / low)}x)")
    return (f"{scalable.variant} and {base.variant} are not told apart ({fmt(ratio)}x, "
            f"95% {fmt(low)}-{fmt(high)}x)")


def _stops(variant, law, counts, where=""):
    peak = law.peak()
    if peak is None or peak[0] > max(counts):
        return f"{variant} is still scaling at {max(counts)} threads{where}"
    n_star, interval, _ = peak
    within = f" (95% {interval[0]:.0f}-{interval[1]:.0f})" if interval else ""
    return f"{variant} stops scaling at {n_star:.0f} threads{within}{where}"


def _crossed(crossing):
    """"loses 39% (95% 37-42%) crossing one package", for a change its
    interval tells from none."""
    verb = "loses" if crossing.change < 0 else "gains"
    interval = ""
    if crossing.interval:
        low, high = sorted(abs(v) for v in crossing.interval)
        interval = f" (95% {100 * low:.0f}-{high:.0%})"
    return f"{verb} {abs(crossing.change):.0%}{interval} crossing {crossing.what}"


def scaling(curve):
    """Where a curve stops scaling, and what it loses at the boundaries."""
    if curve is None:
        return None
    if curve.fits:
        text = _stops(curve.variant, curve.law, curve.threads)
    elif curve.inner:
        inside = [t for t in curve.threads if t <= curve.inner.threads]
        text = _stops(curve.variant, curve.inner.law, inside, f" within {curve.inner.what}")
    else:
        return f"{curve.variant} is not fitted: {curve.reason}"
    # A change the sentence names is told from none by its interval and is
    # material, as a curve's departure from its law must be: an inner law
    # extrapolated one count on is off by a few percent as often as not.
    telling = [x for x in curve.crossings
               if x.interval and (x.interval[0] > 0 or x.interval[1] < 0)
               and abs(x.change) > MATERIAL]
    return text + "".join(f" and {_crossed(x)}" for x in telling)


def scaling_told(curves):
    """What the curves of a comparison say of their scaling; one clause when
    none is fitted for the same reason (a machine with too few CPUs)."""
    curves = [c for c in curves if c is not None]
    reasons = {c.reason for c in curves if not c.fits and not c.inner}
    if len(curves) > 1 and len(reasons) == 1 and all(not c.fits and not c.inner for c in curves):
        return f"none is fitted: {reasons.pop()}"
    return "; ".join(t for t in (scaling(c) for c in curves) if t)


def sentences(points, curves):
    """{family: sentence} for the families with a scalable/global pair
    within the CPUs."""
    by_key = {c.key: c for c in curves}
    pairs = [pair for pair in speedup_pairs(points)
             if not (pair[0].oversubscribed or pair[1].oversubscribed)]
    out = {}
    for family in sorted({p.family for p, *_ in pairs}):
        mine = [pair for pair in pairs if pair[0].family == family]
        most = max(p.threads for p, *_ in mine)
        first = next(p for p, *_ in mine if p.threads == most)
        same = [pair for pair in mine if (pair[0].threads, pair[0].placement, pair[0].source,
                                          pair[0].params_text)
                == (most, first.placement, first.source, first.params_text)]
        where = ", ".join([f"{most} threads", first.placement] + [first.params_text] * bool(
            first.params_text))
        wins = "; ".join(winner(*pair) for pair in same)
        told = scaling_told([by_key.get(point_key(p))
                             for p in [same[0][1]] + [pair[0] for pair in same]])
        out[family] = f"{family}, {where}: {wins}" + (f"; {told}." if told else ".")
    return out


def html_sentences(points, curves):
    return "".join(f"<p class=\"verdict\">{html.escape(s)}</p>"
                   for s in sentences(points, curves).values())
