#include "harness/sweep/result_entry.h"

#include <cmath>
#include <string>
#include <vector>

#include "harness/sweep/stats.h"

namespace lockbench {

namespace {

using Run = benchmark::BenchmarkReporter::Run;

// A figure that is undefined for a window (a ratio over no events, the CV of
// repetitions that all measured zero) is written as 0: JSON has no NaN, and
// a null breaks readers such as Google Benchmark's compare.py.
nlohmann::json nested_counters(const benchmark::UserCounters& counters) {
  nlohmann::json flat = nlohmann::json::object();
  for (const auto& [name, counter] : counters) {
    std::string pointer = "/" + name;
    for (char& c : pointer) c = c == '.' ? '/' : c;
    flat[pointer] = std::isfinite(counter.value) ? counter.value : 0.0;
  }
  return flat.unflatten();
}

// The median's 95% interval (absent below 6 repetitions: no null, which
// compare.py cannot read), the CV and the verdict on the point's
// ops_per_sec, over its repetitions.
void add_uncertainty(nlohmann::json& e, const PointLog& log, double target_ci) {
  const std::vector<double> values = throughputs(log.runs);
  const RepetitionStats stats = summarize(values);
  if (stats.ci95) {
    e["ci95_low"] = stats.ci95->low;
    e["ci95_high"] = stats.ci95->high;
  }
  e["cv"] = stats.cv;
  e["stability"] = judge(values, target_ci).text;
}

}  // namespace

nlohmann::json result_entry(const Point& point, const PointLog& log, const Run& run,
                            double target_ci) {
  const bool aggregate = run.run_type == Run::RT_Aggregate;
  nlohmann::json e;
  e["name"] = point.name() + (aggregate ? "_" + run.aggregate_name : "");
  e["family_index"] = run.family_index;
  e["per_family_instance_index"] = run.per_family_instance_index;
  e["run_name"] = point.name();
  e["run_type"] = aggregate ? "aggregate" : "iteration";
  e["repetitions"] = run.repetitions;
  if (aggregate) {
    e["aggregate_name"] = run.aggregate_name;
    e["aggregate_unit"] = run.aggregate_unit == benchmark::kPercentage ? "percentage" : "time";
  } else {
    e["repetition_index"] = run.repetition_index;
  }
  e["iterations"] = run.iterations;
  e["family"] = point.family->name();
  e["variant"] = point.variant->name;
  e["kind"] = to_string(point.variant->kind);
  e["threads"] = point.threads;
  e["placement"] = point.placement.to_string();
  e["home"] = point.home.to_string();
  e["home_nodes"] = point.binding.nodes;
  e["sched"] = to_string(point.sched);
  e["cpus"] = point.cpus;
  e["oversubscribed"] = point.oversubscribed;
  e["params"] = point.params;
  e["time_unit"] = "ns";

  // A point is valid only if every repetition was: aggregates over the
  // surviving repetitions of a failed point would be numbers from a run
  // whose invariants failed.
  if (log.failed()) {
    e["valid"] = false;
    e["error"] = log.runs.back().error;
    // Google Benchmark's convention for a skipped run, kept so compare.py
    // can read the file; these zeros are not measurements.
    e["error_occurred"] = true;
    e["error_message"] = log.runs.back().error;
    e["real_time"] = 0;
    e["cpu_time"] = 0;
    return e;
  }
  const nlohmann::json figures = nested_counters(run.counters);
  e["valid"] = true;
  e["real_time"] = figures.at("ns_per_op");
  // CPU time per operation is not measured; repeated so that compare.py's
  // CPU column says the same as its time column.
  e["cpu_time"] = figures.at("ns_per_op");
  for (const char* key : {"ops_per_sec", "fairness", "share_min", "share_max", "latency_ns"}) {
    e[key] = figures.at(key);
  }
  // Empty for a family without lock classes or counters: no counter of the
  // group reached Google Benchmark.
  for (const char* group : {"lock_stats", "counters"}) {
    e[group] = figures.value(group, nlohmann::json::object());
  }
  if (aggregate && run.aggregate_name == "median") add_uncertainty(e, log, target_ci);
  if (!aggregate) {
    const RunResult& r = log.runs.at(static_cast<std::size_t>(run.repetition_index));
    e["seconds"] = r.seconds;
    e["ops"] = r.ops;
    e["thread_ops"] = r.thread_ops;
    e["cpus_seen"] = r.cpus_seen;
    if (r.handoff_ns > 0) e["handoff_ns"] = r.handoff_ns;
    e["scheduler"] = r.scheduler;
    e["hardware"] = r.hardware;
    e["memory_nodes"] = r.memory_nodes;
    e["sched_slice"] = r.sched_slice;
    e["wall_seconds"] = r.wall_seconds;
  }
  return e;
}

}  // namespace lockbench
