// Sweep configs (JSON) and their expansion into points on a topology.
// docs/configs.md describes the format; every error names the key, the value
// and what is allowed.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/measure/family.h"
#include "harness/measure/memory_home.h"
#include "harness/measure/placement.h"
#include "harness/measure/sched_policy.h"
#include "harness/measure/topology.h"

namespace lockbench {

// Bad usage or a bad config: the message says what and what is allowed.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How every point of a sweep is run.
struct RunSettings {
  std::uint64_t duration_ms = 1000;
  std::uint64_t warmup_ms = 100;
  int repetitions = 3;
  // --repetitions auto: at least kMinAdaptiveRepetitions, then more while
  // the median's 95% interval is wider than target_ci (a fraction of the
  // median) or the repetitions split into modes, up to max_repetitions.
  bool adaptive = false;
  double target_ci = 0.05;
  int max_repetitions = 10;
  static constexpr int kMinAdaptiveRepetitions = 3;
  // "3 repetitions", or "3 to 10 repetitions (until ...)".
  std::string repetitions_text() const;
  nlohmann::json repetitions_json() const;  // 3, or "auto"
  // A run that completes no milestone (threads started, each thread
  // stopped, each drained) for watchdog_s after its window is stuck; one
  // that keeps completing them may take drain_limit_s beyond its window.
  double watchdog_s = 10;
  double drain_limit_s = 600;
  std::uint32_t sample_every = 64;
  Overflow overflow = Overflow::wrap;
};

struct Point {
  const Family* family = nullptr;
  const VariantInfo* variant = nullptr;
  int threads = 1;
  PlacementSpec placement;
  Params params;           // every parameter of the family, defaults filled in
  std::vector<int> roles;  // per thread
  std::vector<int> cpus;   // per thread, as planned
  bool oversubscribed = false;  // see oversubscribed() in placement.h
  MemoryHome home;              // where its shared state lives
  MemoryBinding binding;        // home, resolved on the topology for cpus
  SchedPolicy sched = SchedPolicy::other;  // the measured threads' policy

  // family/variant/key:value/.../home:H/sched:S/placement:P/threads:N,
  // listing the parameters whose value differs from the family default, the
  // home when it is not "first" and the policy when it is not "other".
  std::string name() const;
};

// Command-line narrowing of a config's sweep. Empty fields change nothing.
struct Selection {
  std::vector<std::string> families;
  std::vector<std::string> variants;  // may name broken variants, off by default
  std::vector<std::string> threads;   // thread specs, as in configs
  std::vector<std::string> placements;
  std::vector<std::string> homes;
  std::vector<std::string> scheds;
  // Each set overrides the config's; unset, the config's stands.
  std::optional<std::int64_t> duration_ms;
  std::optional<int> repetitions;
  bool repetitions_auto = false;
  std::optional<double> target_ci_pct;
  std::optional<int> max_repetitions;
  std::vector<std::string> sets;  // "key=value": one value for a parameter
};

struct Sweep {
  std::string name;
  nlohmann::json config;  // as read, for the results' context
  RunSettings settings;
  std::vector<Point> points;

  // The CPUs its points are pinned to, in hwloc order; every PU when a
  // point leaves a thread unpinned.
  std::vector<int> cpus_used(const Topology& topology) const;
  // Seconds the sweep should take: each point's run_seconds times the
  // repetitions it is expected to take; the longest, at max_repetitions.
  double estimated_seconds() const;
  double longest_seconds() const;
  // One repetition of the point: warm-up, window, and an allowance for
  // starting it and for each of its threads.
  double run_seconds(const Point& point) const;
  // The fixed count, or the middle of what adaptive rounds can end at.
  double expected_repetitions() const;
  // "about 95 s", "about 3.2 h (11520 s)", "about 417 days (36001300 s)";
  // with adaptive repetitions, "..., at most ...".
  std::string estimate_text() const;
};

// Sweeps estimated beyond this are run, with a warning (stderr) first.
inline constexpr double kLongSweepS = 86400;

nlohmann::json read_config_file(const std::string& path);
// The same from text already read; path only names it in errors.
nlohmann::json parse_config(const std::string& text, const std::string& path);
Sweep expand_sweep(const nlohmann::json& config, const Selection& selection,
                   const Topology& topology);

// "8", "cores", "pus", "2x" (a multiple of the PUs): the thread count on this
// topology. Throws UsageError naming `key` when the spec is not one of these
// ("ladder" stands for several counts: thread_ladder).
int resolve_threads(const nlohmann::json& spec, const Topology& topology, const std::string& key);

// "ladder": 1, 2, 4, ... doubling up to the PUs, and every count at which a
// compact placement fills a level of the machine (Topology::compact_boundaries),
// ascending.
std::vector<int> thread_ladder(const Topology& topology);

inline constexpr int kMaxThreads = 8192;  // 8x oversubscription of 1024 PUs

}  // namespace lockbench
