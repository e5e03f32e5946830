// The small interface every lock offers: the spinlock family's variants,
// so that one workload (benchmarks/spinlock/workload.h) both measures each
// lock and checks its guarantees, and the ticket lock that models the
// system's own spinlock_t in every family (profiled_lock.h).
//
//   explicit Lock(const LockSetup&);
//   Acquired lock(int thread);   // thread: 0..threads-1, the caller's index
//   Released unlock(int thread);
//   static constexpr std::uint64_t kTicketSpace;  // 0: no ticket order
//   std::string check_quiescent() const;         // "" when idle and sound
//
// Locks that need per-thread state (MCS queue nodes, PV waiting records) keep
// it themselves, indexed by thread, and make it in
//   void setup_thread(int thread);               // on that thread, pinned
// so that it is first touched on the thread's NUMA node. Locks know nothing
// of the harness.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "harness/measure/platform.h"

namespace lockbench {

struct LockSetup {
  int threads = 1;
  std::uint32_t spin_threshold = 1u << 15;  // PV locks: spins before blocking
  double step_sleep_pct = 0;                // PV locks: injected sleeps, for stress
  std::uint32_t step_sleep_us = 50;
};

struct Acquired {
  // The lock was not free on arrival, where the lock learns it as a
  // by-product of acquiring (the ticket it drew); nullopt where finding out
  // would cost an extra access to the contended line.
  std::optional<bool> contended;
  std::uint64_t ticket = 0;  // position in the grant order, modulo kTicketSpace
  std::uint32_t blocks = 0;  // times the caller slept before getting the lock
  std::uint32_t spurious_wakeups = 0;
  bool stolen = false;            // taken past queued waiters (PV qspinlock)
  std::uint32_t hash_probes = 0;  // lock-to-waiter hash entries visited (PV qspinlock)
};

struct Released {
  bool kicked = false;            // the unlock woke a sleeping waiter
  std::uint32_t hash_probes = 0;  // lock-to-waiter hash entries visited (PV qspinlock)
};

}  // namespace lockbench
