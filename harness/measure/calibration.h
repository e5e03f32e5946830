// The machine's figures every point relies on (the cycle clock's rate, the
// delay loop's speed), measured once in the sweep's process before any point
// runs. Points run in forked children, which inherit them, so no measured
// window ever waits for a one-time calibration.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "harness/measure/handoff.h"
#include "harness/measure/topology.h"

namespace lockbench {

struct DelayAccuracy {
  std::uint64_t asked_ns;
  double measured_ns;  // median over many runs, every CPU busy with the same loop
};

struct Calibration {
  double ns_per_tick = 0;
  double clock_read_ns = 0;   // one cycle_clock() read
  double delay_loops_per_ns = 0;
  double timing_cost_ns = 0;  // timing_cost_ticks(), in ns
  std::vector<DelayAccuracy> delay_under_load;
  double delay_error_pct = 0;  // the largest |measured / asked - 1| of delay_under_load
  HandoffMatrix handoffs;      // empty when the topology is not this machine's

  nlohmann::json to_json() const;
};

// What timing one sampled operation costs in cycle_clock ticks: its three
// clock reads (before and after the acquisition, after the section) and a
// histogram update. Measured once per process (microseconds, no sleep);
// ThreadContext spaces samples so this stays a small share of a thread's
// time.
double timing_cost_ticks();

// Calibrates the clock, the cost of timing and the delay loop of this
// process (ns_per_tick(), Delay::loops_per_ns()), times the delay loop with
// every PU running it at once, so a figure reflects a loaded machine (SMT
// siblings and turbo share the core) rather than an idle one, and measures
// the cache-line hand-off between each pair of `cpus`.
Calibration calibrate(const Topology& topology, const std::vector<int>& cpus);

}  // namespace lockbench
