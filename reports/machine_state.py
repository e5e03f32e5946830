"""Machine states: a point's runs compared in the state of the machine they
were measured in.

Each repetition records the one-way hand-off latency between two of its
CPUs, probed just after its window (`handoff_ns`). A VM's host moves the
VM's vCPUs nearer or farther apart for minutes at a time: on a 2-vCPU cloud
VM the probe read about 38 ns or about 220 ns, changing runs apart and
within runs, and every point with cross-CPU traffic moved with it, each by
its own factor (a ticket lock to 0.65x, a tasklet's global lock to 0.3x,
per-CPU tasklets not at all). Neither one-file comparisons nor a history can
tell a commit's change from that, unless they know the state.

The states of a machine are the clusters of its probes: sorted, they split
wherever a probe is more than STATE_GAP times the one before it, among the
probes in dense places (at least DENSE probes, and DENSE_SHARE of all,
within a factor NEAR of it): a probe taken as the host moved the vCPUs reads
between the states, and a few such must not join them. Sparse probes belong
to the state their value falls in. A point's
level in each state is the median, over the runs with repetitions in that
state, of those repetitions' median; its usual state is the one with the
most runs. A repetition is normalized by dividing it by its state's level
over the usual state's, and a run's normalized value is the median of its
normalized repetitions: the point's throughput as if measured in its usual
state. States with fewer than MIN_RUNS runs of the point have no level yet:
their repetitions are left out (a run with only such repetitions is "in an
unusual machine state" and judged by nothing). Repetitions without a probe
(results from before the probe, another machine's topology) form a state of
their own.

The known limit: a change of the code that happens together with a change of
the state that lasts from then on cannot be told from it.
"""

import bisect
import math

import numpy as np

STATE_GAP = 1.5
DENSE = 5
DENSE_SHARE = 0.01
NEAR = 1.25
MIN_RUNS = 2
UNPROBED = -1  # the state of repetitions without a probe


class MachineStates:
    """The states of one machine's probes."""

    def __init__(self, probes):
        known = np.sort([p for p in probes if _probed(p)])
        self.probes = known
        near = (np.searchsorted(known, known * NEAR, side="right") -
                np.searchsorted(known, known / NEAR, side="left"))
        dense = known[near >= max(DENSE, DENSE_SHARE * len(known))]
        self.boundaries = [math.sqrt(a * b) for a, b in zip(dense, dense[1:])
                           if b > STATE_GAP * a]

    def of(self, probe):
        """The state of a probe: 0 the fastest hand-off, then 1, ...; UNPROBED."""
        return bisect.bisect(self.boundaries, probe) if _probed(probe) else UNPROBED

    def describe(self, probes):
        """"38 ns (41 repetitions), 220 ns (12)": each state's median probe."""
        probes_of = {}
        for p in probes:
            if _probed(p):
                probes_of.setdefault(self.of(p), []).append(p)
        return ", ".join(f"{np.median(v):.0f} ns ({len(v)} repetitions)"
                         for _, v in sorted(probes_of.items()))


def _probed(probe):
    return probe is not None and not math.isnan(probe) and probe > 0


class PointLevels:
    """A point's level in each state with at least MIN_RUNS runs, from its
    runs' repetitions: [[(value, probe), ...] per run]."""

    def __init__(self, states, runs):
        self.states = states
        per_state = {}
        for reps in runs:
            for state, values in by_state(states, reps).items():
                per_state.setdefault(state, []).append(float(np.median(values)))
        # A level of 0 (no operation completed, oversubscribed) scales nothing.
        self.levels = {s: level for s, v in per_state.items() if len(v) >= MIN_RUNS
                       for level in [float(np.median(v))] if level > 0}
        counts = {s: len(per_state[s]) for s in self.levels}
        # The most runs; the faster hand-off breaks a tie.
        self.usual = min(counts, key=lambda s: (-counts[s], s)) if counts else None

    def normalized(self, reps):
        """The run's value as if measured in the usual state, or None when
        none of its repetitions is in a state with a level."""
        values = [v * self.levels[self.usual] / self.levels[state]
                  for state, vs in by_state(self.states, reps).items() if state in self.levels
                  for v in vs]
        return float(np.median(values)) if values else None


def by_state(states, reps):
    """{state: [values]} of repetitions [(value, probe)]."""
    out = {}
    for value, probe in reps:
        out.setdefault(states.of(probe), []).append(value)
    return out
