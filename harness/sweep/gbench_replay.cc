#include "harness/sweep/gbench_replay.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <sstream>

#include "harness/measure/calibration.h"
#include "harness/measure/interrupt.h"
#include "harness/measure/platform.h"
#include "harness/measure/run_point.h"
#include "harness/sweep/exit_status.h"
#include "harness/sweep/result_entry.h"
#include "harness/sweep/results.h"
#include "harness/sweep/schedule.h"
#include "harness/sweep/stats.h"

namespace lockbench {

namespace {

// Google Benchmark counters named with dots ("latency_ns.p99") so that the
// reporter can rebuild the nested objects after GB has aggregated them.
void add_counters(benchmark::State& state, const RunResult& r) {
  using benchmark::Counter;
  const double ops = static_cast<double>(r.ops);
  state.counters["ops_per_sec"] = Counter(ops, Counter::kIsRate);
  // Wall time per operation across all threads (1/throughput): what the
  // results' real_time holds, so compare.py's time columns compare throughput.
  // A window in which no operation completed (a collapsed lock) has no
  // finite time per operation; the window itself is a lower bound on it, and
  // keeps every entry a finite number. Computed here, flagless, whatever the
  // window: Google Benchmark aborts when the repetitions of a point carry a
  // counter with different flags.
  state.counters["ns_per_op"] = r.seconds * 1e9 / std::max(ops, 1.0);
  state.counters["fairness"] = r.fairness;
  state.counters["share_min"] = r.share_min;
  state.counters["share_max"] = r.share_max;
  for (const auto& [name, value] : flat_counters(r)) state.counters[name] = value;
}

nlohmann::json google_benchmark_context() {
  // Let Google Benchmark's own JSON reporter write its context, so ours is
  // exactly its format.
  std::ostringstream out, err;
  benchmark::JSONReporter reporter;
  reporter.SetOutputStream(&out);
  reporter.SetErrorStream(&err);
  reporter.ReportContext(benchmark::BenchmarkReporter::Context());
  reporter.Finalize();
  return nlohmann::json::parse(out.str()).at("context");
}

// The results file's context: Google Benchmark's, with lockbench's and the
// machine's calibration.
nlohmann::json header(const Sweep& sweep, const Topology& topology,
                      const Calibration& calibration) {
  nlohmann::json context = google_benchmark_context();
  context["lockbench"] = lockbench_context(sweep, topology);
  context["lockbench"]["calibration"] = calibration.to_json();
  return context;
}

class ResultsReporter final : public benchmark::BenchmarkReporter {
 public:
  // Writes the file's header (and the points kept from an earlier run) at
  // once, so an interrupted sweep leaves a valid file.
  ResultsReporter(const Sweep& sweep, const Topology& topology, const Calibration& calibration,
                  ResultsTarget target, const std::vector<PointLog>& logs,
                  std::vector<nlohmann::json> kept)
      : sweep_(sweep),
        path_(target.path()),
        logs_(logs),
        file_(std::move(target), header(sweep, topology, calibration), std::move(kept)),
        started_ns_(now_ns()) {
    for (std::size_t i = 0; i < sweep.points.size(); ++i) index_of_[sweep.points[i].name()] = i;
    std::printf("lockbench: %zu points x %s on %s, %s; results in %s\n", sweep.points.size(),
                sweep.settings.repetitions_text().c_str(), topology.summary().c_str(),
                sweep.estimate_text().c_str(), path_.c_str());
    std::printf("%-64s %14s %8s %9s %12s  %s\n", "point", "ops/s", "95% CI", "fairness", "p99 ns",
                "status");
  }

  // Called once per group of points (each is a Google Benchmark run): the
  // header is already written.
  bool ReportContext(const Context&) override { return true; }

  // Google Benchmark reports a point's repetitions, then (when at least two
  // succeeded) their aggregates in a second call; the row is printed once,
  // from whichever call comes last.
  void ReportRuns(const std::vector<Run>& runs) override {
    if (runs.empty()) return;
    const std::size_t index = index_of_.at(runs.front().run_name.function_name);
    const Point& point = sweep_.points[index];
    const PointLog& log = logs_[index];
    if (log.interrupted) return;
    std::vector<nlohmann::json> entries;
    for (const Run& run : runs) {
      entries.push_back(result_entry(point, log, run, sweep_.settings.target_ci));
    }
    file_.append(entries);
    const bool aggregates = runs.front().run_type == Run::RT_Aggregate;
    const auto succeeded =
        std::count_if(runs.begin(), runs.end(), [](const Run& r) { return !r.error_occurred; });
    if (aggregates || succeeded < 2) print_row(point, log, entries);
  }

  void Finalize() override {}

  // After the last group: what was measured, and where.
  void finish() {
    const double seconds = static_cast<double>(now_ns() - started_ns_) * 1e-9;
    if (const int signal = interrupt_signal()) {
      std::printf(
          "interrupted by signal %d after %.1f s: %zu of %zu points measured (%zu failed) are "
          "in %s; the same command with --resume %s measures the rest\n",
          signal, seconds, done_, sweep_.points.size(), failed_, path_.c_str(), path_.c_str());
      return;
    }
    std::printf("%zu of %zu points valid in %.1f s; results in %s\n",
                sweep_.points.size() - failed_, sweep_.points.size(), seconds, path_.c_str());
  }

  std::size_t failed() const { return failed_; }

  // A group's repetitions are done (their rows follow): what the plan gave
  // them moves from left to done.
  void measured(const std::vector<std::size_t>& group) {
    for (std::size_t i : group) {
      const double planned = sweep_.run_seconds(sweep_.points[i]) * sweep_.expected_repetitions();
      planned_done_ += planned;
      planned_left_ -= planned;
    }
  }

 private:
  void print_row(const Point& point, const PointLog& log,
                 const std::vector<nlohmann::json>& entries) {
    ++done_;
    // The plan's figure for what is left, scaled by how the plan has fared
    // so far: the points differ in threads and in cost, and the machine in
    // how many repetitions its noise takes. The plan itself weighs as a
    // tenth of it, so the first group (a few quiet 1-thread points) does
    // not speak for the whole sweep.
    const double elapsed = static_cast<double>(now_ns() - started_ns_) * 1e-9;
    const double prior = 0.1 * sweep_.estimated_seconds();
    const double pace = (elapsed + prior) / (planned_done_ + prior);
    const double remaining = std::max(0.0, planned_left_) * pace;
    std::string name = point.name();
    if (log.failed()) {
      ++failed_;
      std::printf("%-64s %14s %9s %12s  FAILED: %s\n", name.c_str(), "-", "-", "-",
                  log.runs.back().error.c_str());
    } else {
      // The median when there are repetitions, else the one run.
      const nlohmann::json* shown = &entries.front();
      for (const nlohmann::json& e : entries) {
        if (e.value("aggregate_name", "") == "median") shown = &e;
      }
      const RepetitionStats stats = summarize(throughputs(log.runs));
      const std::optional<double> half = stats.relative_half_width();
      char interval[16] = "-";
      if (half) std::snprintf(interval, sizeof interval, "±%.1f%%", 100 * *half);
      const Stability verdict = judge(throughputs(log.runs), sweep_.settings.target_ci);
      // Too few repetitions for an interval is said once, in the header.
      const bool shown_verdict = !verdict.stable && !verdict.too_few;
      // A workload that times nothing has no latency, not a latency of 0.
      const nlohmann::json& latency = shown->at("latency_ns");
      char p99[16] = "-";
      if (latency.at("samples").get<double>() > 0) {
        std::snprintf(p99, sizeof p99, "%.0f", latency.at("p99").get<double>());
      }
      std::printf("%-64s %14.4g %8s %9.3f %12s  ok%s%s%s\n", name.c_str(),
                  shown->at("ops_per_sec").get<double>(), interval,
                  shown->at("fairness").get<double>(), p99,
                  point.oversubscribed ? ", oversubscribed" : "", shown_verdict ? "; " : "",
                  shown_verdict ? verdict.text.c_str() : "");
    }
    std::fprintf(stderr, "[point %zu of %zu, %.0f s elapsed, about %.0f s remaining]\n", done_,
                 sweep_.points.size(), elapsed, remaining);
    std::fflush(stdout);
  }

  const Sweep& sweep_;
  const std::string path_;
  const std::vector<PointLog>& logs_;
  ResultsFile file_;
  std::uint64_t started_ns_;
  std::map<std::string, std::size_t> index_of_;  // point name -> index in the sweep
  std::size_t done_ = 0;
  std::size_t failed_ = 0;
  // Of the plan's estimate (Sweep::estimated_seconds), the points done and left.
  double planned_done_ = 0;
  double planned_left_ = sweep_.estimated_seconds();
};

RunSpec spec_of(const Point& point, const RunSettings& settings) {
  RunSpec spec;
  spec.family = point.family;
  spec.variant = point.variant->name;
  spec.threads = point.threads;
  spec.params = point.params;
  spec.cpus = point.cpus;
  spec.roles = point.roles;
  spec.home = point.binding;
  spec.sched = point.sched;
  spec.warmup_ms = settings.warmup_ms;
  spec.duration_ms = settings.duration_ms;
  spec.sample_every = settings.sample_every;
  spec.watchdog_s = settings.watchdog_s;
  spec.drain_limit_s = settings.drain_limit_s;
  return spec;
}

// Hands a group's measured repetitions to Google Benchmark, in sweep order,
// so that its aggregates (mean, median, stddev, cv) and the reporter's
// entries come out as for any benchmark: each repetition's body replays one
// run. A point interrupted before it was done is left out.
void replay(const Sweep& sweep, const std::vector<std::size_t>& group,
            const std::vector<PointLog>& logs, ResultsReporter& reporter) {
  bool any = false;
  for (std::size_t i : group) {
    const PointLog* log = &logs[i];
    if (log->interrupted || log->runs.empty()) continue;
    auto next = std::make_shared<std::size_t>(0);
    benchmark::RegisterBenchmark(sweep.points[i].name().c_str(),
                                 [log, next](benchmark::State& state) {
                                   for (auto _ : state) {
                                     const RunResult& r = log->runs.at((*next)++);
                                     if (!r.valid) {
                                       state.SkipWithError(r.error.c_str());
                                       break;
                                     }
                                     state.SetIterationTime(r.seconds);
                                     add_counters(state, r);
                                   }
                                 })
        ->Iterations(1)
        ->Repetitions(static_cast<int>(log->runs.size()))
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
    any = true;
  }
  if (any) benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::ClearRegisteredBenchmarks();
}

}  // namespace

Sweep apply_benchmark_filter(const Sweep& sweep, std::vector<std::string>& gbench_args) {
  const std::string flag = "--benchmark_filter=";
  Sweep kept = sweep;
  for (auto it = gbench_args.begin(); it != gbench_args.end();) {
    if (it->rfind(flag, 0) != 0) {
      ++it;
      continue;
    }
    std::string pattern = it->substr(flag.size());
    it = gbench_args.erase(it);
    const bool negated = !pattern.empty() && pattern[0] == '-';
    if (negated) pattern.erase(0, 1);
    std::regex re;
    try {
      re = std::regex(pattern, std::regex::extended);
    } catch (const std::regex_error& e) {
      throw UsageError("--benchmark_filter: '" + pattern + "' is not a regular expression (" +
                       e.what() + ")");
    }
    std::erase_if(kept.points,
                  [&](const Point& p) { return std::regex_search(p.name(), re) == negated; });
  }
  if (kept.points.empty()) throw UsageError("--benchmark_filter leaves no point to run");
  return kept;
}

std::map<std::string, double> flat_counters(const RunResult& r) {
  std::map<std::string, double> out;
  const std::pair<const char*, const nlohmann::json*> groups[] = {
      {"latency_ns", &r.latency_ns}, {"lock_stats", &r.lock_stats}, {"counters", &r.counters}};
  for (const auto& [prefix, tree] : groups) {
    const nlohmann::json flat = tree->flatten();
    // flatten() of an empty group is {"": null}: nothing to add.
    for (const auto& [path, value] : flat.items()) {
      if (value.is_null()) continue;
      std::string name = std::string(prefix) + path;  // flatten() gives "/a/b"
      for (char& c : name) c = c == '/' ? '.' : c;
      out[name] = value.get<double>();
    }
  }
  return out;
}

int run_sweep(const Sweep& sweep, const Topology& topology, ResultsTarget target,
              std::vector<std::string> gbench_args, std::vector<nlohmann::json> kept_entries) {
  install_interrupt_handlers();
  std::vector<char*> argv;
  std::string program = "lockbench";
  argv.push_back(program.data());
  for (std::string& a : gbench_args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  benchmark::Initialize(&argc, argv.data());
  if (argc > 1) {
    throw UsageError(std::string("unknown option '") + argv[1] +
                     "'; allowed: lockbench's options (lockbench --help) and Google Benchmark's "
                     "--benchmark_* flags");
  }

  // Before any point: each forked point inherits the figures, so no window
  // pays for a calibration (the clock's alone sleeps 20 ms).
  const Calibration calibration = calibrate(topology, sweep.cpus_used(topology));
  std::vector<PointLog> logs(sweep.points.size());
  ResultsReporter reporter(sweep, topology, calibration, std::move(target), logs,
                           std::move(kept_entries));
  std::vector<RunSpec> specs;
  for (const Point& p : sweep.points) specs.push_back(spec_of(p, sweep.settings));
  // Seeded: the same sweep runs its rounds in the same orders.
  std::mt19937_64 rng(0x6c6f636b62656e63ULL);
  for (const std::vector<std::size_t>& group : variant_groups(sweep)) {
    run_group(
        group, sweep.settings, logs,
        [&](std::size_t i) {
          const std::uint64_t started = now_ns();
          RunResult run = run_point_isolated(specs[i], topology);
          run.wall_seconds = static_cast<double>(now_ns() - started) * 1e-9;
          return run;
        },
        [] { return interrupt_signal() != 0; }, rng);
    reporter.measured(group);
    replay(sweep, group, logs, reporter);
    if (interrupt_signal()) break;
  }
  reporter.finish();
  benchmark::Shutdown();
  if (const int signal = interrupt_signal()) return 128 + signal;
  return reporter.failed() == 0 ? kSuccess : kPointFailed;
}

}  // namespace lockbench
