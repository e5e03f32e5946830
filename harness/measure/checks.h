// Whether the families' in-window check code is compiled in (the CMake
// option LOCKBENCH_CHECKS, on by default). A family writes what its
// invariants need inside the window under `if constexpr (kChecks)`, and
// judges at quiescence only what was recorded: with the checks off it still
// runs its quiescent checks (lists empty, the lock idle) and skips the rest.
// A build without them measures what the checks cost; its results say
// "checks": "off", and the reports draw no headline from them.
#pragma once

#ifndef LOCKBENCH_CHECKS
#define LOCKBENCH_CHECKS 1
#endif

namespace lockbench {

inline constexpr bool kChecks = LOCKBENCH_CHECKS != 0;

}  // namespace lockbench
