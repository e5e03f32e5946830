"""What the harness and the checks cost, measured on this machine.

Default: lockbench's `ticket` (cs_ns=0, ncs_ns=0, compact) beside the bare
ticket loop (benchmarks/baseline/ticket_loop.cc) and the independent one
(ticket_loop_c.c), at 1 and 2 threads. --all: every family's global and
scalable variants at 1 and 2 threads (default parameters, compact), the
build with the in-window checks beside one without (-DLOCKBENCH_CHECKS=OFF).
Every comparison is alternated round by round, so that drift in the machine
hits both sides alike, the order rotated each round, and reported as the
median of the per-round ratios within one hand-off regime
(comparable_median) with its 95% interval (order statistics, 6 rounds or
more); --all ends with the cells whose checks cost more than GOAL allows,
and those it cannot tell. Both builds do the same
work: the delay loop is calibrated once, by the checked build, and given to
every run (LOCKBENCH_DELAY_LOOPS_PER_NS); each process's own calibration
differs by several percent, which moved the ratios as much.

    python -m reports.efficiency [--all] --build DIR [--unchecked-build DIR]
                                 [--rounds N] [--duration-ms MS]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

from reports.uncertainty import median_interval

# What the checks may cost: a checked build at this fraction of the unchecked
# one's throughput or better.
GOAL = 0.98

# At 2 threads a shared host's cache-line hand-off can jump between regimes
# from one window to the next (on the 2-vCPU VM, 6e6 and 1.2e7 ops/s for the
# same bare loop), so a round whose two windows straddle a jump compares
# regimes, not the two sides: rounds whose ratio is further from 1 than this
# are set aside.
REGIME_JUMP = 1.25


def comparable_median(ratios):
    """(median of the ratios within REGIME_JUMP of 1, how many those are);
    (0.0, n) where under a third of them are: the two sides are then too far
    apart for any round to compare them."""
    comparable = [r for r in ratios if 1 / REGIME_JUMP <= r <= REGIME_JUMP]
    if 3 * len(comparable) < len(ratios):
        return 0.0, len(comparable)
    return statistics.median(comparable), len(comparable)


def comparable_interval(ratios):
    """The 95% interval of comparable_median's median (order statistics), or
    None with fewer than 6 comparable rounds."""
    comparable = [r for r in ratios if 1 / REGIME_JUMP <= r <= REGIME_JUMP]
    return median_interval(comparable) if comparable else None


def alternated(measures, rounds):
    """Each measure's results over the rounds, taken in turn and in a rotated
    order each round, so that neither side is always the one that follows
    the other (the first run after another process can differ)."""
    results = [[] for _ in measures]
    for r in range(rounds):
        for k in range(len(measures)):
            i = (r + k) % len(measures)
            results[i].append(measures[i]())
    return results


class Unrunnable(Exception):
    """A point lockbench refuses here (roles that cannot be filled)."""


def bare_loop(binary, threads, duration_ms):
    out = subprocess.run([binary, str(threads), str(duration_ms)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["ops_per_sec"]


def delay_calibration(binary):
    """The environment that gives every run binary's delay calibration."""
    calibration = json.loads(subprocess.run([binary, "calibrate", "--json"], check=True,
                                            capture_output=True, text=True).stdout)
    return dict(os.environ,
                LOCKBENCH_DELAY_LOOPS_PER_NS=repr(calibration["delay_loops_per_ns"]))


def refusal(stderr):
    """What lockbench's refusal of a point says about the point itself: its
    last line without the location and the list of what is allowed."""
    lines = stderr.strip().splitlines()
    said = lines[-1] if lines else ""
    return said.split("): ", 1)[-1].split("; allowed", 1)[0]


def lockbench(binary, family, variant, threads, duration_ms, sets=(), env=None):
    """One point, the family's defaults but for `sets`, compact."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "point.json")
        config = os.path.join(tmp, "point-config.json")
        with open(config, "w", encoding="utf-8") as f:
            json.dump({"name": "efficiency", "duration_ms": duration_ms, "warmup_ms": 30,
                       "repetitions": 1,
                       "sweeps": [{"family": family, "variants": [variant], "threads": [threads],
                                   "placements": ["compact"]}]}, f)
        cmd = [binary, "run", "--config", config, "--out", out]
        for s in sets:
            cmd += ["--set", s]
        run = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if run.returncode == 2:
            raise Unrunnable(refusal(run.stderr))
        if run.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: exit {run.returncode}\n{run.stderr}")
        with open(out, encoding="utf-8") as f:
            [entry] = [e for e in json.load(f)["benchmarks"] if e.get("run_type") == "iteration"]
        if not entry.get("valid"):
            raise RuntimeError(f"{family}/{variant} at {threads} threads: {entry.get('error')}")
        return entry["ops_per_sec"]


def thread_counts():
    return [t for t in (1, 2) if t <= os.cpu_count()]


def interval_text(interval):
    return f"[{interval[0]:.3f}, {interval[1]:.3f}]" if interval else "[too few rounds]"


def ratio_text(ratios):
    """The comparable median, its interval and how many rounds it rests on;
    where most rounds are not comparable, the median of all of them too:
    two sides that differ by more than a regime jump look like that, and
    must not pass for undecided."""
    ratio, n = comparable_median(ratios)
    text = f"{ratio:.3f} {interval_text(comparable_interval(ratios))} ({n})"
    if mostly_apart(ratios):
        text += f", all rounds {statistics.median(ratios):.3f}"
    return text


def mostly_apart(ratios):
    """Whether most rounds are further apart than a regime jump."""
    return 2 * comparable_median(ratios)[1] < len(ratios)


def harness_table(build, rounds, duration_ms):
    bench = os.path.join(build, "benchmarks")
    rows = []
    for threads in thread_counts():
        bare, independent, harnessed = alternated([
            lambda: bare_loop(os.path.join(bench, "lockbench-baseline"), threads, duration_ms),
            lambda: bare_loop(os.path.join(bench, "lockbench-baseline-c"), threads, duration_ms),
            lambda: lockbench(os.path.join(build, "lockbench"), "spinlock", "ticket", threads,
                              duration_ms, ("cs_ns=0", "ncs_ns=0"))], rounds)
        rows.append((threads, statistics.median(bare), statistics.median(independent),
                     statistics.median(harnessed),
                     [i / b for i, b in zip(independent, bare)],
                     [h / b for h, b in zip(harnessed, bare)]))
    print(f"{'threads':>7} {'bare loop':>10} {'independent':>11} {'lockbench':>10} "
          f"{'indep/bare':>29} {'lockbench/bare':>29}   (ops/s medians; ratios: medians of the "
          f"comparable rounds of {rounds}, 95% interval, how many)")
    for t, b, i, h, independent_ratios, harness_ratios in rows:
        print(f"{t:>7} {b:>10.4g} {i:>11.4g} {h:>10.4g} {ratio_text(independent_ratios):>29} "
              f"{ratio_text(harness_ratios):>29}")


def variants_to_compare(binary):
    listing = json.loads(subprocess.run([binary, "list", "--json"], check=True,
                                        capture_output=True, text=True).stdout)
    for family in listing["families"]:
        for v in family["variants"]:
            if v["kind"] in ("global", "scalable"):
                yield family["name"], v["name"]




def checks_table(build, unchecked_build, rounds, duration_ms):
    checked_bin = os.path.join(build, "lockbench")
    unchecked_bin = os.path.join(unchecked_build, "lockbench")
    env = delay_calibration(checked_bin)
    print(f"{'family':>9} {'variant':>14} {'threads':>7} {'checked':>10} {'unchecked':>10} "
          f"{'ratio':>29}   (ops/s medians; ratio: median of the comparable rounds of {rounds}, "
          "95% interval, how many)")
    below, undecided = [], []
    for family, variant in variants_to_compare(checked_bin):
        for threads in thread_counts():
            cell = f"{family:>9} {variant:>14} {threads:>7}"
            try:
                checked, unchecked = alternated([
                    lambda: lockbench(checked_bin, family, variant, threads, duration_ms, env=env),
                    lambda: lockbench(unchecked_bin, family, variant, threads, duration_ms,
                                      env=env)], rounds)
            except Unrunnable as e:
                print(f"{cell}   not runnable: {e}")
                continue
            ratios = [c / u for c, u in zip(checked, unchecked) if u > 0]
            ratio = (statistics.median(ratios) if mostly_apart(ratios)
                     else comparable_median(ratios)[0])
            interval = comparable_interval(ratios)
            print(f"{cell} {statistics.median(checked):>10.4g} {statistics.median(unchecked):>10.4g} "
                  f"{ratio_text(ratios):>29}")
            name = f"{family} {variant} at {threads}"
            if interval and interval[1] < GOAL:
                below.append(name)
            elif ratio < GOAL:
                undecided.append(name)
    print(f"goal, checked at {GOAL} of unchecked or better: "
          + (f"below it (whole interval): {', '.join(below)}" if below else "no cell is below it")
          + (f"; median below it, interval reaching it: {', '.join(undecided)}"
             if undecided else ""))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="scripts/efficiency", description=__doc__.split("\n")[0])
    parser.add_argument("--all", action="store_true",
                        help="checked / unchecked throughput of every family's variants")
    parser.add_argument("--build", required=True)
    parser.add_argument("--unchecked-build")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--duration-ms", type=int, default=300)
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.duration_ms < 1:
        parser.error(f"--rounds {args.rounds}, --duration-ms {args.duration_ms}: "
                     "both must be 1 or more")
    if args.all:
        if not args.unchecked_build:
            parser.error("--all needs --unchecked-build (a build with -DLOCKBENCH_CHECKS=OFF)")
        checks_table(args.build, args.unchecked_build, args.rounds, args.duration_ms)
    else:
        harness_table(args.build, args.rounds, args.duration_ms)
    return 0


if __name__ == "__main__":
    sys.exit(main())
