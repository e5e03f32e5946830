// Runs one point once: a team of threads, pinned as planned, released
// together from a barrier, warmed up, measured for a fixed duration, stopped
// by a shared flag, then checked at quiescence.
#pragma once

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/measure/family.h"
#include "harness/measure/memory_home.h"
#include "harness/measure/sched_policy.h"
#include "harness/measure/topology.h"

namespace lockbench {

// Milestones of a run that a watchdog in another process can follow: the
// team started, then each thread left its loop and each finished draining.
// After the window a slow run (a fair lock oversubscribed hands over once per
// scheduler slice, so the last operations may take seconds) keeps completing
// milestones; a stuck one (a deadlock, a lost wakeup) completes none. Written
// only outside the measured window.
struct RunProgress {
  std::atomic<std::uint64_t> window_end_ns{0};  // now_ns() when the window closes; 0: not started
  std::atomic<std::uint32_t> stopped{0};        // threads out of their loop
  std::atomic<std::uint32_t> drained{0};        // threads done draining

  std::uint64_t milestones() const {
    return (window_end_ns.load(std::memory_order_relaxed) != 0) +
           stopped.load(std::memory_order_relaxed) + drained.load(std::memory_order_relaxed);
  }
};

struct RunSpec {
  const Family* family = nullptr;
  std::string variant;
  int threads = 1;
  Params params;
  std::vector<int> cpus;   // per thread: OS CPU index or kUnpinned
  std::vector<int> roles;  // per thread; empty: as the family assigns them
  MemoryBinding home;      // where the shared state goes (resolve_home)
  // The measured threads' scheduling policy, set by each thread before the
  // start barrier; with rr the coordinator and the watchdog run above them.
  SchedPolicy sched = SchedPolicy::other;
  std::uint64_t warmup_ms = 0;
  std::uint64_t duration_ms = 0;
  std::uint32_t sample_every = 64;
  // run_point_isolated: the longest a run may go without a milestone after
  // its window (stuck), and the longest it may take beyond its window at all.
  double watchdog_s = 10;
  double drain_limit_s = 600;
  RunProgress* progress = nullptr;  // where run_point reports milestones, if anywhere
};

// What one run produced. Numbers are meaningful only when valid.
struct RunResult {
  bool valid = false;
  std::string error;
  double seconds = 0;     // the measured window
  std::uint64_t ops = 0;  // operations in it, all threads
  std::vector<std::uint64_t> thread_ops;
  std::vector<int> cpus_seen;  // where each thread last ran
  double fairness = 0;         // Jain's index over thread_ops
  double share_min = 0;        // min and max of thread_ops / mean
  double share_max = 0;
  nlohmann::json latency_ns;  // p50 p90 p99 p999 max mean samples
  nlohmann::json lock_stats;  // per lock class
  nlohmann::json counters;    // the family's own figures
  // The hand-off between two of the point's CPUs, probed after the window
  // (probe_handoff); 0 when not measured (one CPU, or another machine's
  // topology).
  double handoff_ns = 0;
  // The whole repetition as the sweep waited for it: starting the point,
  // warm-up, window, drain, checks (what estimates are planned from).
  double wall_seconds = 0;
  // What the OS did to the team in the window (os_activity.h), and where
  // the memory was: {"shared": [nodes], "threads": [node per thread, -1
  // unknown]}.
  nlohmann::json scheduler = "not available";
  nlohmann::json hardware = "not available";
  nlohmann::json memory_nodes = nlohmann::json::object();
  // The slice the measured threads' policy gives them (slice_record).
  nlohmann::json sched_slice = nlohmann::json::object();

  nlohmann::json to_json() const;
  static RunResult from_json(const nlohmann::json& j);
  static RunResult failed(std::string error);
};

// Runs in the calling process; a hang hangs the caller.
RunResult run_point(const RunSpec& spec, const Topology& topology);

// Runs in a child process, so that a hang (deadlock, lost wakeup) or a crash
// of a broken variant costs one failed point, not the sweep: the child is
// killed when it completes no milestone for watchdog_s after its window, or
// outlives the window by drain_limit_s. The child dies with its parent.
RunResult run_point_isolated(const RunSpec& spec, const Topology& topology);

// Jain's fairness index: (sum x)^2 / (n * sum x^2); 1 when all are equal.
double jain_fairness(const std::vector<std::uint64_t>& counts);

}  // namespace lockbench
