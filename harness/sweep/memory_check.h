// Before a sweep runs: does every point fit in the memory this machine has
// available? A point that would not is refused up front, naming it, rather
// than dying of the OOM killer hours into a sweep.
#pragma once

#include <cstdint>

#include "harness/sweep/sweep.h"

namespace lockbench {

// What a thread of a point costs beyond the family's own structures: its
// context (latency histogram, counters, lock statistics) and the stack pages
// it touches; generous.
inline constexpr std::uint64_t kThreadBytes = 1 << 20;

// MemAvailable from /proc/meminfo, lowered to LOCKBENCH_MEMORY_LIMIT_MB when
// that is set (a cap for shared machines). Throws UsageError on a bad limit.
std::uint64_t available_memory_bytes();

// Throws UsageError naming the largest point, its estimate and the memory
// available when a point would need more than `available` bytes.
void check_memory(const Sweep& sweep, std::uint64_t available);

}  // namespace lockbench
