// std::mutex (glibc's futex-based mutex): spins briefly at most, then sleeps
// in the kernel; any woken waiter may lose to a newcomer (no FIFO). The
// everyday reference: what a lock that does not spin costs on this machine.
#pragma once

#include <mutex>
#include <string>

#include "benchmarks/spinlock/lock_api.h"

namespace lockbench::spinlock {

class StdMutexLock {
 public:
  static constexpr std::uint64_t kTicketSpace = 0;

  explicit StdMutexLock(const LockSetup&) {}

  // try_lock first only to learn whether the lock was free; glibc's lock()
  // starts with the same compare-and-swap, so this adds no extra work when
  // the lock is free.
  Acquired lock(int) {
    if (mutex_.try_lock()) return {};
    mutex_.lock();
    return {.contended = true};
  }

  Released unlock(int) {
    mutex_.unlock();
    return {};
  }

  std::string check_quiescent() const { return ""; }

 private:
  alignas(kCacheLine) std::mutex mutex_;
};

}  // namespace lockbench::spinlock
