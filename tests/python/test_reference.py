"""The bare ticket-lock loop that scripts/efficiency measures the harness
against, checked against a second one written independently (C, its own lock
and pinning): a reference slower than it should be would flatter the harness.

The two run alternated, so that drift in the machine hits both alike, and
are compared pair by pair (a window of each, back to back). At 2 threads a
shared host's cache-line hand-off jumps between regimes from one 100 ms
window to the next (here 6e6 and 1.2e7 ops/s, for either loop), so a pair
that straddles a jump compares regimes, not loops: pairs further apart than
REGIME_JUMP (reports/efficiency.py) are set aside. The median of the rest must be within 5% of 1, at
1 thread and, where there are 2 PUs, at 2 threads, and at least a third of
the pairs must be comparable: a loop 25% or more slower than the other has
no comparable pairs and fails too. A disagreement is measured again (up to
three times) before it fails: a neighbour's burst on a shared host is not a
defect of either loop. If it persists, the reference is compared with
itself the same way: when that control fails too, the host cannot compare
two loops to 5% now (a loaded machine), and the test is skipped, saying so,
rather than failed; a slow loop on a quiet host still fails."""

import json
import os
import subprocess
import unittest

from reports.efficiency import (alternated, comparable_interval, comparable_median, ratio_text,
                                refusal)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build", "benchmarks")
REFERENCE = os.environ.get("LOCKBENCH_BASELINE", os.path.join(BUILD, "lockbench-baseline"))
INDEPENDENT = os.environ.get("LOCKBENCH_BASELINE_C", os.path.join(BUILD, "lockbench-baseline-c"))
ROUNDS = 25
WINDOW_MS = 100
TOLERANCE = 0.05
ATTEMPTS = 3


def ops_per_sec(binary, threads):
    out = subprocess.run([binary, str(threads), str(WINDOW_MS)], check=True,
                         capture_output=True, text=True, timeout=60).stdout
    return json.loads(out)["ops_per_sec"]


def median_ratio(threads, binary=INDEPENDENT):
    """The median, over the comparable pairs of ROUNDS, of binary's
    throughput over the reference's (scripts/efficiency's rule)."""
    return comparable_median([pair_ratio(binary, threads) for _ in range(ROUNDS)])[0]


def pair_ratio(binary, threads):
    """A window of binary over one of the reference; a window in which the
    reference made no progress (its threads all preempted on a loaded host)
    compares nothing: infinity, which is never comparable."""
    ops, reference = ops_per_sec(binary, threads), ops_per_sec(REFERENCE, threads)
    return ops / reference if reference > 0 else float("inf")


class ReferenceLoopTest(unittest.TestCase):
    def test_two_independent_bare_loops_agree(self):
        for threads in [t for t in (1, 2) if t <= os.cpu_count()]:
            with self.subTest(threads=threads):
                ratios = []
                for _ in range(ATTEMPTS):
                    ratios.append(median_ratio(threads))
                    if abs(ratios[-1] - 1) <= TOLERANCE:
                        break
                else:
                    control = median_ratio(threads, binary=REFERENCE)
                    if abs(control - 1) > TOLERANCE:
                        self.skipTest(
                            f"at {threads} threads the reference against itself ran at "
                            f"{control}: this host cannot compare loops to "
                            f"{TOLERANCE:.0%} now (independent/reference: {ratios})")
                self.assertLessEqual(
                    abs(ratios[-1] - 1), TOLERANCE,
                    f"at {threads} threads the independent loop ran at {ratios} of the "
                    f"reference (medians of {ROUNDS} paired {WINDOW_MS} ms windows)")

    def test_pairs_straddling_a_regime_jump_are_set_aside(self):
        self.assertEqual(comparable_median([1.0, 2.1, 0.98, 1.02, 0.49, 1.03]), (1.01, 4))
        # A side 30% slower has no comparable pair: no figure, so no pass.
        self.assertEqual(comparable_median([0.7, 0.69, 1.4, 0.71]), (0.0, 0))

    def test_the_interval_covers_the_comparable_rounds_only(self):
        low, high = comparable_interval([0.97, 0.98, 0.99, 1.0, 1.01, 1.02, 2.5])
        self.assertEqual((low, high), (0.97, 1.02))
        self.assertIsNone(comparable_interval([1.0, 1.01, 0.99]))  # too few rounds

    def test_sides_mostly_apart_show_all_rounds(self):
        # A side 40% slower in most rounds is not "undecided".
        text = ratio_text([0.58, 0.6, 0.55, 0.9, 0.95, 0.62, 0.61, 0.59, 0.97, 0.85])
        self.assertIn("all rounds 0.615", text)
        self.assertNotIn("all rounds", ratio_text([0.98, 0.99, 1.0, 1.01, 0.97, 1.02]))

    def test_sides_take_turns_at_going_first(self):
        order = []
        results = alternated([lambda: order.append("a") or 1, lambda: order.append("b") or 2], 4)
        self.assertEqual(order, ["a", "b", "b", "a", "a", "b", "b", "a"])
        self.assertEqual(results, [[1] * 4, [2] * 4])

    def test_a_refused_point_says_why_in_a_line(self):
        stderr = ("lockbench: sweeps[0].threads 1 (point evtchn/fifo/placement:compact/"
                  "threads:1): a ratio of 1:1 needs a producer and a consumer, but the point "
                  "has 1 thread; allowed: 2 threads or more, or a ratio 0:C\n")
        self.assertEqual(refusal(stderr), "a ratio of 1:1 needs a producer and a consumer, "
                                          "but the point has 1 thread")

    def test_a_bad_thread_count_is_refused(self):
        for binary in (REFERENCE, INDEPENDENT):
            run = subprocess.run([binary, "0", "10"], capture_output=True, text=True)
            self.assertEqual(run.returncode, 2, binary)
            self.assertIn("THREADS", run.stderr)


if __name__ == "__main__":
    unittest.main()
