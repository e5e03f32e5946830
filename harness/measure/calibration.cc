#include "harness/measure/calibration.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>

#include "harness/measure/delay.h"
#include "harness/measure/histogram.h"
#include "harness/measure/platform.h"

namespace lockbench {

namespace {

constexpr std::uint64_t kAskedNs[] = {100, 1000, 10000};
constexpr std::uint64_t kRunsPerSize = 2000;

// Runs each asked delay kRunsPerSize times and returns the median duration
// per size, in the order of kAskedNs.
std::vector<double> time_delays() {
  std::vector<double> medians;
  for (const std::uint64_t asked : kAskedNs) {
    const Delay delay(asked);
    std::vector<std::uint64_t> ns;
    ns.reserve(kRunsPerSize);
    for (std::uint64_t i = 0; i < kRunsPerSize; ++i) {
      const std::uint64_t t0 = cycle_clock();
      delay.run();
      ns.push_back(ticks_to_ns(cycle_clock() - t0));
    }
    std::nth_element(ns.begin(), ns.begin() + ns.size() / 2, ns.end());
    medians.push_back(static_cast<double>(ns[ns.size() / 2]));
  }
  return medians;
}

// Cycle-clock ticks one call of step takes: the best of several runs of
// many calls, so that an interrupt does not skew it.
template <typename Step>
double best_ticks_per_call(Step step) {
  constexpr int kRuns = 5, kCalls = 1000;
  double best = std::numeric_limits<double>::infinity();
  for (int run = 0; run < kRuns; ++run) {
    const std::uint64_t start = cycle_clock();
    for (int i = 0; i < kCalls; ++i) step();
    best = std::min(best, static_cast<double>(cycle_clock() - start) / kCalls);
  }
  return best;
}

// One read of the cycle clock.
double clock_read_ticks() {
  return best_ticks_per_call([] { asm volatile("" : : "r"(cycle_clock())); });
}

double measure_timing_cost_ticks() {
  Histogram histogram;
  return best_ticks_per_call([&histogram] {
    const std::uint64_t asked = cycle_clock();
    const std::uint64_t acquired = cycle_clock();
    histogram.record(ticks_to_ns(acquired - asked), 1);
    asm volatile("" : : "r"(cycle_clock()));  // the third read: after the section
  });
}

}  // namespace

double timing_cost_ticks() {
  static const double value = measure_timing_cost_ticks();
  return value;
}

nlohmann::json Calibration::to_json() const {
  nlohmann::json accuracy = nlohmann::json::array();
  for (const DelayAccuracy& a : delay_under_load) {
    accuracy.push_back({{"asked_ns", a.asked_ns},
                        {"measured_ns", a.measured_ns},
                        {"ratio", a.measured_ns / static_cast<double>(a.asked_ns)}});
  }
  return {{"cpus", handoffs.cpus},
          {"c2c_ns", handoffs.ns},
          {"clock_read_ns", clock_read_ns},
          {"delay_error_pct", delay_error_pct},
          {"ns_per_tick", ns_per_tick},
          {"delay_loops_per_ns", delay_loops_per_ns},
          {"timing_cost_ns", timing_cost_ns},
          {"delay_under_load", accuracy}};
}

Calibration calibrate(const Topology& topology, const std::vector<int>& cpus) {
  Calibration c;
  c.ns_per_tick = ns_per_tick();
  c.clock_read_ns = clock_read_ticks() * c.ns_per_tick;
  c.delay_loops_per_ns = Delay::loops_per_ns();
  c.timing_cost_ns = timing_cost_ticks() * c.ns_per_tick;
  if (topology.is_this_system()) c.handoffs = measure_handoffs(topology, cpus);
  const auto busy_threads = static_cast<int>(topology.pus().size());
  // The other threads spin the same loop until this one has its figures.
  std::atomic<bool> done{false};
  std::vector<std::thread> load;
  for (int i = 1; i < busy_threads; ++i) {
    load.emplace_back([&done] {
      while (!done.load(std::memory_order_relaxed)) Delay::spin_loops(10000);
    });
  }
  const std::vector<double> medians = time_delays();
  done.store(true, std::memory_order_relaxed);
  for (std::thread& t : load) t.join();
  for (std::size_t i = 0; i < medians.size(); ++i) {
    c.delay_under_load.push_back({kAskedNs[i], medians[i]});
    const double error = 100 * std::abs(medians[i] / static_cast<double>(kAskedNs[i]) - 1);
    c.delay_error_pct = std::max(c.delay_error_pct, error);
  }
  return c;
}

}  // namespace lockbench
