#include "harness/measure/platform.h"

#include <unistd.h>

#include <chrono>
#include <thread>

namespace lockbench {

std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

static double calibrate_ns_per_tick() {
  const std::uint64_t ns0 = now_ns();
  const std::uint64_t t0 = cycle_clock();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::uint64_t ns1 = now_ns();
  const std::uint64_t t1 = cycle_clock();
  return static_cast<double>(ns1 - ns0) / static_cast<double>(t1 - t0);
}

double ns_per_tick() {
  static const double value = calibrate_ns_per_tick();
  return value;
}

}  // namespace lockbench
