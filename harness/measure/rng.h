// xorshift64*: a small per-thread generator for injected faults and choices
// inside a workload; no shared state, no locks.
#pragma once

#include <cstdint>

namespace lockbench {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  std::uint64_t next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
  }
  // True with probability percent/100 (resolution 1e-4 percent).
  bool chance(double percent) {
    return percent > 0 && static_cast<double>(next() % 1000000) < percent * 10000.0;
  }

 private:
  std::uint64_t state_;
};

}  // namespace lockbench
