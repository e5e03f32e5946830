// A RunSpec for tests: every parameter at its family default, or the
// variant's own value (VariantInfo::overrides), except the test's overrides;
// threads unpinned, roles as the family assigns them.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <utility>

#include "benchmarks/families.h"
#include "harness/measure/family.h"
#include "harness/measure/placement.h"
#include "harness/measure/run_point.h"
#include "harness/measure/topology.h"

namespace lockbench {

// A RunSpec for a test-only family (not registered): `params` as given,
// threads unpinned, every thread role 0, short windows.
inline RunSpec SpecOf(const Family& family, const std::string& variant, int threads,
                      Params params = Params::object()) {
  RunSpec spec;
  spec.family = &family;
  spec.variant = variant;
  spec.threads = threads;
  spec.params = std::move(params);
  spec.cpus.assign(static_cast<std::size_t>(threads), kUnpinned);
  spec.roles.assign(static_cast<std::size_t>(threads), 0);
  spec.warmup_ms = 5;
  spec.duration_ms = 40;
  spec.watchdog_s = 10;
  return spec;
}

inline RunSpec DefaultSpec(const std::string& family_name, const std::string& variant, int threads,
                           const nlohmann::json& overrides = nlohmann::json::object()) {
  const Family* family = find_family(family_name);
  EXPECT_NE(family, nullptr) << family_name;
  RunSpec spec;
  spec.family = family;
  spec.variant = variant;
  spec.threads = threads;
  spec.params = nlohmann::json::object();
  for (const ParamInfo& p : family->info().params) spec.params[p.name] = p.default_value;
  const VariantInfo* info = family->find_variant(variant);
  EXPECT_NE(info, nullptr) << variant;
  if (info) spec.params.update(info->overrides);
  for (const auto& [key, value] : overrides.items()) {
    EXPECT_NE(family->find_param(key), nullptr) << key;
    spec.params[key] = value;
  }
  spec.cpus.assign(static_cast<std::size_t>(threads), kUnpinned);
  spec.warmup_ms = 20;
  spec.duration_ms = 150;
  // For run_point_isolated: a hang fails the test rather than hanging it. The
  // limit is a stall (no thread finishing its last operation or its drain),
  // and a ticket lock with 8 threads on 2 CPUs under ThreadSanitizer, beside
  // another test, was seen to stall 5 s and then finish: what a test judges
  // is whether the run ends, not how soon.
  spec.watchdog_s = 60;
  return spec;
}

// Runs a broken variant (isolated, so a hang costs its watchdog) until a run
// fails, for at most `seconds`: each run could pass, since the race it
// depends on may not happen, and a test beside it on the other CPU makes
// that likelier for a while (12 runs in a row were seen to miss so); a
// budget of time rather than of runs outlasts such a spell and costs
// nothing while the checks catch the variant. Half of CTest's 60 s per test
// (cmake/tests.cmake), so a run's drain still fits. Returns the first
// failure's error, or "" if every run passed.
inline std::string FirstFailure(const RunSpec& spec, double seconds = 30) {
  const Topology topology = Topology::load("");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  do {
    const RunResult r = run_point_isolated(spec, topology);
    if (!r.valid) return r.error;
  } while (std::chrono::steady_clock::now() < deadline);
  return "";
}

// Runs spec (isolated) until a run exercises what a test is about (a block,
// a feed, an operation at all), for at most `seconds`. The scheduler can deny
// one short window any progress, as it does with more threads than CPUs
// under a sanitizer, but not every window for that long. Returns the first
// invalid run, the first that exercised it, or the last.
inline RunResult RunUntil(const RunSpec& spec,
                          const std::function<bool(const RunResult&)>& exercised,
                          double seconds = 60) {
  const Topology topology = Topology::load("");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    RunResult r = run_point_isolated(spec, topology);
    if (!r.valid || exercised(r) || std::chrono::steady_clock::now() > deadline) return r;
  }
}

}  // namespace lockbench
