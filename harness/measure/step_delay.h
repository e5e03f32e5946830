// Fault injection for stress tests: a short sleep, with a given probability,
// at each numbered step of an algorithm's slow path. Sleeping where a thread
// would rarely be preempted makes rare interleavings (a kick racing a block)
// common enough to test. Off (probability 0) in measured runs by default.
#pragma once

#include <time.h>

#include <cstdint>

#include "harness/measure/rng.h"

namespace lockbench {

class StepDelay {
 public:
  StepDelay(double percent, std::uint32_t max_us, std::uint64_t seed)
      : percent_(percent), max_us_(max_us), rng_(seed) {}

  void at_step() {
    if (percent_ <= 0 || !rng_.chance(percent_)) return;
    const long us = static_cast<long>(1 + rng_.next() % (max_us_ ? max_us_ : 1));
    const timespec pause{0, us * 1000};
    nanosleep(&pause, nullptr);
  }

 private:
  double percent_;
  std::uint32_t max_us_;
  Rng rng_;
};

}  // namespace lockbench
