#include "harness/measure/delay.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "harness/measure/platform.h"

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

static double given_or_measured_loops_per_ns() {
  const char* given = std::getenv("LOCKBENCH_DELAY_LOOPS_PER_NS");
  if (given == nullptr) return measure_loops_per_ns();
  char* end = nullptr;
  const double value = std::strtod(given, &end);
  if (end == given || *end != '\0' || !std::isfinite(value) || value <= 0) {
    throw std::invalid_argument(std::string("LOCKBENCH_DELAY_LOOPS_PER_NS: value \"") + given +
                                "\" is not allowed; allowed: a positive number (loops of the "
                                "delay loop per ns, as calibrate prints delay_loops_per_ns)");
  }
  return value;
}

double Delay::loops_per_ns() {
  static const double value = given_or_measured_loops_per_ns();
  return value;
}

}  // namespace lockbench
