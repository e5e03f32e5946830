// The machine's figures every point relies on (the cycle clock's rate, the
// delay loop's speed), measured once in the sweep's process before any point
// runs. Points run in forked children, which inherit them, so no measured
// window ever waits for a one-time calibration.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace lockbench {

struct DelayAccuracy {
  std::uint64_t asked_ns;
  double measured_ns;  // median over many runs, every CPU busy with the same loop
};

struct Calibration {
  double ns_per_tick = 0;
  double delay_loops_per_ns = 0;
  double timing_cost_ns = 0;  // timing_cost_ticks(), in ns
  std::vector<DelayAccuracy> delay_under_load;

  nlohmann::json to_json() const;
};

// What timing one sampled operation costs in cycle_clock ticks: its three
// clock reads (before and after the acquisition, after the section) and a
// histogram update. Measured once per process (microseconds, no sleep);
// ThreadContext spaces samples so this stays a small share of a thread's
// time.
double timing_cost_ticks();

// Calibrates the clock, the cost of timing and the delay loop of this process (ns_per_tick(),
// Delay::loops_per_ns()), then times the delay loop with `busy_threads`
// threads running it at once, so a figure reflects a loaded machine (SMT
// siblings and turbo share the core) rather than an idle one.
Calibration calibrate(int busy_threads);

}  // namespace lockbench
