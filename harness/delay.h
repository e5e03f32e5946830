// Calibrated busy work, given in nanoseconds. A loop of dependent arithmetic
// rather than a clock poll: work that is preempted should take longer, as a
// real critical section does when its CPU is taken away, instead of ending
// early because the clock moved on while the thread was off the CPU.
#pragma once

#include <cstdint>

namespace lockbench {

class Delay {
 public:
  // Iterations of the work loop per nanosecond on this CPU, measured once per
  // process (best of several short runs, so an interrupt does not skew it).
  static double loops_per_ns();

  explicit Delay(std::uint64_t ns)
      : loops_(static_cast<std::uint64_t>(static_cast<double>(ns) * loops_per_ns())) {}

  void run() const { spin_loops(loops_); }
  std::uint64_t loops() const { return loops_; }

  static void spin_loops(std::uint64_t loops);

 private:
  std::uint64_t loops_;
};

}  // namespace lockbench
