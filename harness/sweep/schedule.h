// The order in which a sweep's repetitions run. The variants of one
// (family, parameters, placement, threads) group run their repetitions
// interleaved, round by round, in a fresh random order each round: a host
// that drifts between fast and slow states over tens of seconds then moves
// every variant's figures alike, and a speedup compares runs taken seconds
// apart, not minutes. With adaptive repetitions a point leaves the rounds
// once its median is known well enough (harness/sweep/stats.h).
#pragma once

#include <cstddef>
#include <functional>
#include <random>
#include <vector>

#include "harness/measure/run_point.h"
#include "harness/sweep/sweep.h"

namespace lockbench {

// What a point's repetitions left behind, in the order they ran.
struct PointLog {
  std::vector<RunResult> runs;
  bool interrupted = false;  // stopped by Ctrl-C or SIGTERM before done: not recorded at all
  bool failed() const { return !runs.empty() && !runs.back().valid; }
};

// Indices of sweep.points in groups that differ only in variant, groups in
// the order of their first point, points in sweep order.
std::vector<std::vector<std::size_t>> variant_groups(const Sweep& sweep);

// Whether a point with these repetitions needs another: a failed point
// never does; with fixed repetitions, until there are that many; adaptive,
// until at least kMinAdaptiveRepetitions and stable, or max_repetitions.
bool needs_repetition(const RunSettings& settings, const std::vector<RunResult>& runs);

// ops_per_sec of each valid repetition.
std::vector<double> throughputs(const std::vector<RunResult>& runs);

// Runs a group's repetitions in rounds until no point needs one:
// measure(i) runs one repetition of point i. When interrupted() turns true
// the run in progress is dropped, the points still needing repetitions are
// marked interrupted, and it returns.
void run_group(const std::vector<std::size_t>& group, const RunSettings& settings,
               std::vector<PointLog>& logs, const std::function<RunResult(std::size_t)>& measure,
               const std::function<bool()>& interrupted, std::mt19937_64& rng);

}  // namespace lockbench
