// Sweep configs (JSON) and their expansion into points on a topology.
// docs/configs.md describes the format; every error names the key, the value
// and what is allowed.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/family.h"
#include "harness/placement.h"
#include "harness/topology.h"

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

  // family/variant/key:value/.../placement:P/threads:N, listing the
  // parameters whose value differs from the family default.
  std::string name() const;
};

// Command-line narrowing of a config's sweep. Empty fields change nothing.
struct Selection {
  std::vector<std::string> families;
  std::vector<std::string> variants;  // may name broken variants, off by default
  std::vector<std::string> threads;   // thread specs, as in configs
  std::vector<std::string> placements;
  std::int64_t duration_ms = -1;
  int repetitions = -1;
  std::vector<std::string> sets;  // "key=value": one value for a parameter
};

struct Sweep {
  std::string name;
  nlohmann::json config;  // as read, for the results' context
  RunSettings settings;
  std::vector<Point> points;

  // Seconds the sweep should take, from the settings and an allowance for
  // starting each run.
  double estimated_seconds() const;
  // "about 95 s", "about 3.2 h (11520 s)", "about 417 days (36001300 s)".
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
// topology. Throws UsageError naming `key` when the spec is not one of these.
int resolve_threads(const nlohmann::json& spec, const Topology& topology, const std::string& key);

inline constexpr int kMaxThreads = 8192;  // 8x oversubscription of 1024 PUs

}  // namespace lockbench
