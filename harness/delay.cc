#include "harness/delay.h"

#include <algorithm>

#include "harness/platform.h"

namespace lockbench {

void Delay::spin_loops(std::uint64_t loops) {
  // The empty asm with the value as operand keeps the compiler from folding
  // the loop away without adding a memory access to it.
  std::uint64_t x = loops;
  for (std::uint64_t i = 0; i < loops; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    asm volatile("" : "+r"(x));
  }
}

static double measure_loops_per_ns() {
  constexpr std::uint64_t kLoops = 200000;
  std::uint64_t best_ns = ~0ULL;
  for (int attempt = 0; attempt < 7; ++attempt) {
    const std::uint64_t start = now_ns();
    Delay::spin_loops(kLoops);
    best_ns = std::min(best_ns, now_ns() - start);
  }
  return static_cast<double>(kLoops) / static_cast<double>(std::max<std::uint64_t>(best_ns, 1));
}

double Delay::loops_per_ns() {
  static const double value = measure_loops_per_ns();
  return value;
}

}  // namespace lockbench
