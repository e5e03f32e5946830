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
  // process (best of several short runs, so an interrupt does not skew it),
  // or given by LOCKBENCH_DELAY_LOOPS_PER_NS, so that runs compared with each
  // other (two builds alternated) do the same work: each process's own
  // measurement differs by several percent. Throws std::invalid_argument,
  // naming the variable, for a value that is not a positive number.
  static double loops_per_ns();

  explicit Delay(std::uint64_t ns)
      : loops_(static_cast<std::uint64_t>(static_cast<double>(ns) * loops_per_ns())) {}

  void run() const { spin_loops(loops_); }
  std::uint64_t loops() const { return loops_; }

  // Inline, so a delay of 0 (cs_ns=0, ncs_ns=0) costs the measured loop
  // nothing, not a call into another file.
  static void spin_loops(std::uint64_t loops) {
    // The empty asm with the value as operand keeps the compiler from folding
    // the loop away without adding a memory access to it.
    std::uint64_t x = loops;
    for (std::uint64_t i = 0; i < loops; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      asm volatile("" : "+r"(x));
    }
  }

 private:
  std::uint64_t loops_;
};

}  // namespace lockbench
