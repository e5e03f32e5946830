// Runs a sweep through Google Benchmark: one registered benchmark per point,
// manual time, one fixed-duration run per repetition, Google Benchmark's
// aggregates; a reporter of our own writes the results file and a readable
// table with progress.
#pragma once

#include <string>

#include "harness/sweep.h"
#include "harness/topology.h"

namespace lockbench {

// gbench_args: Google Benchmark's own flags (--benchmark_...), passed
// through. Returns the process exit status: 0 all points valid, 1 a point
// failed. Throws UsageError for flags Google Benchmark does not know.
int run_sweep(const Sweep& sweep, const Topology& topology, const std::string& out_path,
              std::vector<std::string> gbench_args);

}  // namespace lockbench
