// What one Google Benchmark run of a point becomes in the results file: an
// iteration entry (one repetition) or an aggregate (mean, median, stddev,
// cv over the repetitions), with lockbench's fields beside Google
// Benchmark's (docs/results-format.md).
#pragma once

#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "harness/sweep/schedule.h"
#include "harness/sweep/sweep.h"

namespace lockbench {

// target_ci: what the median entry's stability is judged against.
nlohmann::json result_entry(const Point& point, const PointLog& log,
                            const benchmark::BenchmarkReporter::Run& run, double target_ci);

}  // namespace lockbench
