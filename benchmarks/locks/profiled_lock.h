// A lock of a modelled system (by default Xen's spinlock_t, a ticket lock;
// a Linux guest's is PvQueuedSpinLock) with the
// statistics Xen's lock profiling keeps: every acquisition is counted in the
// acquiring thread's lock statistics for one lock class, and a sample of
// them is timed (wait for the lock, then hold).
#pragma once

#include <cstdint>
#include <optional>

#include "benchmarks/locks/lock_api.h"
#include "benchmarks/locks/ticket_lock.h"
#include "harness/measure/platform.h"
#include "harness/measure/thread_context.h"

namespace lockbench {

template <typename Lock = TicketLock>
class ProfiledLock {
 public:
  // What unlock() needs to finish the record of one acquisition.
  struct Held {
    bool timed;
    std::uint64_t asked;     // cycle_clock when lock() was called
    std::uint64_t acquired;  // ... and when it returned
  };

  ProfiledLock(int lock_class, int threads)
      : lock_class_(lock_class), lock_(LockSetup{.threads = threads}) {}

  // On each thread before the team starts, for locks with per-thread state
  // (queue nodes): first touched on the thread's NUMA node.
  void setup_thread(int thread) {
    if constexpr (requires { lock_.setup_thread(thread); }) lock_.setup_thread(thread);
  }

  [[nodiscard]] Held lock(ThreadContext& ctx) {
    const bool timed = ctx.sample_lock();
    const std::uint64_t asked = timed ? cycle_clock() : 0;
    const Acquired got = lock_.lock(ctx.index);
    const std::uint64_t acquired = timed ? cycle_clock() : 0;
    ctx.lock_acquired(lock_class_, got.contended);
    return {timed, asked, acquired};
  }

  void unlock(ThreadContext& ctx, const Held& held) {
    const std::uint64_t released = held.timed ? cycle_clock() : 0;
    lock_.unlock(ctx.index);
    if (held.timed) ctx.lock_timed(lock_class_, held.acquired - held.asked, released - held.acquired);
  }

 private:
  const int lock_class_;
  Lock lock_;
};

// Holds a ProfiledLock for a scope.
template <typename Lock>
class ProfiledGuard {
 public:
  ProfiledGuard(ProfiledLock<Lock>& lock, ThreadContext& ctx)
      : lock_(lock), ctx_(ctx), held_(lock.lock(ctx)) {}
  ~ProfiledGuard() { lock_.unlock(ctx_, held_); }
  ProfiledGuard(const ProfiledGuard&) = delete;
  ProfiledGuard& operator=(const ProfiledGuard&) = delete;

 private:
  ProfiledLock<Lock>& lock_;
  ThreadContext& ctx_;
  const typename ProfiledLock<Lock>::Held held_;
};

}  // namespace lockbench
