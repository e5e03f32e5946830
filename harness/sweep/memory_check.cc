#include "harness/sweep/memory_check.h"

#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

#include "harness/measure/family.h"

namespace lockbench {

namespace {

constexpr std::uint64_t kMiB = 1 << 20;

std::uint64_t mem_available_from_proc() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return std::numeric_limits<std::uint64_t>::max();  // unknown: do not refuse
}

std::uint64_t point_bytes(const Point& p) {
  return p.family->memory_bytes(p.params, p.roles) +
         static_cast<std::uint64_t>(p.threads) * kThreadBytes;
}

}  // namespace

std::uint64_t available_memory_bytes() {
  std::uint64_t available = mem_available_from_proc();
  if (const char* limit = std::getenv("LOCKBENCH_MEMORY_LIMIT_MB")) {
    // Digits only: strtoull would take "-5" as a huge number, no limit at all.
    const std::string text = limit;
    char* end = nullptr;
    const unsigned long long mb = std::strtoull(limit, &end, 10);
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
        *end != '\0' || mb == 0 || mb > (std::numeric_limits<std::uint64_t>::max() >> 20)) {
      throw UsageError(std::string("LOCKBENCH_MEMORY_LIMIT_MB: value \"") + limit +
                       "\" is not allowed; allowed: a positive number of MiB");
    }
    available = std::min<std::uint64_t>(available, mb * kMiB);
  }
  return available;
}

void check_memory(const Sweep& sweep, std::uint64_t available) {
  const Point* largest = nullptr;
  std::uint64_t most = 0;
  for (const Point& p : sweep.points) {
    const std::uint64_t bytes = point_bytes(p);
    if (!largest || bytes > most) largest = &p, most = bytes;
  }
  if (!largest || most <= available) return;
  throw UsageError("point " + largest->name() + " needs about " + std::to_string(most / kMiB) +
                   " MiB (params " + largest->params.dump() + ", " +
                   std::to_string(largest->threads) + " threads), more than the " +
                   std::to_string(available / kMiB) +
                   " MiB available; allowed: points that fit (fewer threads or smaller "
                   "parameters)");
}

}  // namespace lockbench
