// std::mutex (glibc's futex-based mutex): spins briefly at most, then sleeps
// in the kernel; any woken waiter may lose to a newcomer (no FIFO). The
// everyday reference: what a lock that does not spin costs on this machine.
#pragma once

#include <mutex>
#include <string>

#include "benchmarks/locks/lock_api.h"

namespace lockbench::spinlock {

class StdMutexLock {
 public:
  static constexpr std::uint64_t kTicketSpace = 0;

  explicit StdMutexLock(const LockSetup&) {}

  // lock() alone: a try_lock first would tell whether the lock was free, at
  // the price of a failed compare-and-swap on the contended line each time
  // it was not, so contention is not reported.
  Acquired lock(int) {
    mutex_.lock();
    return {};
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
