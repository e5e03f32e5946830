// What a tasklet carries in every variant: its identity and the bookkeeping
// the workload's invariant checks read. Variants add their own state (Xen's
// scheduled_on/is_running/is_dead under the global lock; the SCHED and RUN
// bits of the per-CPU design) by deriving from it.
#pragma once

#include <atomic>
#include <cstdint>

namespace lockbench::tasklet {

struct TaskletCore {
  int id = 0;
  int home = 0;  // the CPU whose tasklet this is (a dpci interrupt's CPU)

  // INV2 (schedules merge but are never lost): every schedule call stores
  // a stamp no other schedule stores (its thread's own count and index)
  // before it can take effect, a plain store to a line the schedule writes
  // anyway, not a locked add; every run stores the stamp it sees once it has
  // claimed the tasklet. Runs are ordered (RUN bit or lock), so each sees a
  // stamp no older than the last run's; the last schedule's stamp is seen by
  // the run it made or merged into. At quiescence the two must be equal.
  std::atomic<std::uint64_t> epoch{0};
  std::atomic<std::uint64_t> seen{0};
  // INV1 (never on two threads at once): the thread inside its function, or
  // -1. A relaxed load then a store, not a locked add and subtract: a run
  // writes the tasklet's line anyway, and an overlap is seen with high
  // probability each time it happens.
  std::atomic<int> running_on{-1};
  // The stamp of the schedule that made it pending (not of a merged one),
  // for schedule-to-run latency: the scheduler's cycle_clock() when its
  // operation was sampled, else 0, and the operations that sample stands
  // for. Written before it becomes runnable.
  std::atomic<std::uint64_t> scheduled_at{0};
  std::atomic<std::uint32_t> scheduled_weight{0};

  void stamp(std::uint64_t at, std::uint32_t weight) {
    scheduled_at.store(at, std::memory_order_relaxed);
    if (at != 0) scheduled_weight.store(weight, std::memory_order_relaxed);
  }
  // Set once kill() has returned: no run may start after that.
  std::atomic<bool> killed{false};
};

// The family's lock classes (named in family.cc): the global design's one
// lock, and the per-CPU design's feeder lock.
enum LockClass : int { kTaskletLock, kFeederLock, kLockClasses };

// What a schedule call stamps on the tasklet it makes pending (see
// TaskletCore::stamp).
struct Stamp {
  std::uint64_t at = 0;  // 0: not sampled
  std::uint32_t weight = 0;
};

// What a schedule call did.
enum class Scheduled { pending, merged, refused };

// What one softirq pass did.
struct Pass {
  bool ran = false;       // ran one tasklet
  bool requeued = false;  // popped one still running elsewhere and put it back
  bool fed = false;       // moved cross-CPU schedules from its feeder list
};

}  // namespace lockbench::tasklet
