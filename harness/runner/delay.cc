#include "harness/runner/delay.h"

#include <algorithm>

#include "harness/runner/platform.h"

namespace lockbench {

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
