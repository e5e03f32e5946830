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

  // INV2 (schedules merge but are never lost): a schedule raises `unserved`
  // before it can take effect; the run that has claimed the tasklet lowers
  // it. Runs are claimed through the state a schedule writes (RUN/SCHED bits
  // or the lock), so a schedule that a run serves raised it before that run
  // lowered it, and one that comes later makes a later run. Raised at
  // quiescence: a schedule no run served. One plain store on each side, to a
  // line both write anyway; a schedule lost in the instant between a run's
  // claim and its store goes unseen.
  std::atomic<bool> unserved{false};
  // INV1 (never on two threads at once): the thread inside its function, or
  // -1, stored by the runs whose operation is sampled and read by every run:
  // an overlap with a sampled run is seen. Broken runs overlap often, so
  // sampling finds them at a small fraction of the cost of storing on every
  // run.
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
