// The test-and-set lock a Linux guest falls back to on a hypervisor without
// PV spinlocks (virt_spin_lock, arch/x86/include/asm/qspinlock.h): the
// queued lock's word, but no queue: read until free, then compare-and-swap.
// "Fair locks have horrible lock 'holder' preemption issues": this one is
// unfair, never hands the lock to a waiter that is not running, and every
// waiter spins on the one line.
//
// Guarantees: mutual exclusion only; no order, no bound on a waiter's wait.
#pragma once

#include <cstdint>
#include <string>

#include "benchmarks/locks/lock_api.h"
#include "benchmarks/locks/qspinlock_word.h"
#include "harness/measure/platform.h"

namespace lockbench::spinlock {

class TasLock {
 public:
  static constexpr std::uint64_t kTicketSpace = 0;

  explicit TasLock(const LockSetup&) {}

  Acquired lock(int) {
    std::uint32_t val = 0;  // the queued lock's fast path first
    if (word_.compare_exchange(val, QspinlockWord::kLocked, __ATOMIC_ACQUIRE)) {
      return {.contended = false};
    }
    for (;;) {
      val = word_.load();
      // Acquire pairs with the holder's release of the locked byte.
      if (val == 0 && word_.compare_exchange(val, QspinlockWord::kLocked, __ATOMIC_ACQUIRE)) {
        return {.contended = true};
      }
      cpu_relax();
    }
  }

  Released unlock(int) {
    word_.store_locked(0, __ATOMIC_RELEASE);  // native_queued_spin_unlock
    return {};
  }

  std::string check_quiescent() const {
    if (const std::uint32_t val = word_.load(); val != 0) {
      return "test-and-set lock not idle at quiescence: word " + std::to_string(val);
    }
    return "";
  }

 private:
  alignas(kCacheLine) QspinlockWord word_;
};

}  // namespace lockbench::spinlock
