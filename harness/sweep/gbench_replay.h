// Runs a sweep and reports it through Google Benchmark. lockbench's own
// runner measures the points: the variants of a group round by round
// (schedule.h), each repetition a fixed-duration run in a process of its
// own (run_point_isolated). Google Benchmark measures nothing: once a
// group is done, each point is registered as a benchmark whose repetitions
// replay the finished runs (manual time, the figures as counters), so that
// its aggregates, filters and JSON conventions apply to them; a reporter of
// our own writes the results file and a readable table with progress.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/measure/run_point.h"
#include "harness/measure/topology.h"
#include "harness/sweep/results_target.h"
#include "harness/sweep/sweep.h"

namespace lockbench {

// A run's nested figures as Google Benchmark counters: "latency_ns.p99",
// "lock_stats.<class>.acquisitions", "counters.<name>", ... A group with
// nothing in it (a family without counters or lock classes) adds none.
std::map<std::string, double> flat_counters(const RunResult& r);

// Applies --benchmark_filter (taken out of gbench_args) to the sweep here
// rather than in Google Benchmark, so that --resume, progress and the summary
// count the points that run. Same semantics: a regular expression searched
// in the name, negated by a leading '-'. Throws UsageError for a bad
// expression or one that leaves no point.
Sweep apply_benchmark_filter(const Sweep& sweep, std::vector<std::string>& gbench_args);

// sweep: filtered (apply_benchmark_filter). target: the results file,
// claimed (results_target.h). gbench_args: Google Benchmark's own flags
// (--benchmark_...), passed through. kept_entries:
// results of points measured by an earlier run (see resume_from), written
// first. Returns the process exit status: kSuccess when all points were
// valid, kPointFailed when one failed (exit_status.h), 128 + the signal when Ctrl-C or SIGTERM
// stopped the sweep (the file then holds every point that finished). Throws UsageError for flags
// Google Benchmark does not know, IoError when the results cannot be written (the file keeps what
// was written before).
int run_sweep(const Sweep& sweep, const Topology& topology, ResultsTarget target,
              std::vector<std::string> gbench_args, std::vector<nlohmann::json> kept_entries = {});

}  // namespace lockbench
