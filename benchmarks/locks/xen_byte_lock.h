// Xen's spinlock before 4.6 (before e10784ac42, 2015-06-26, which brought
// ticket locks): a test-and-set lock on a 16-bit word, 1 free and 0 held
// (xen/include/asm-x86/spinlock.h and xen/common/spinlock.c of Xen 4.5):
//   _raw_spin_trylock  xchgw 0 into the word; the lock is ours if it was > 0;
//   _spin_lock         while (!_raw_spin_trylock) {
//                          while (_raw_spin_is_locked) cpu_relax(); }
//   _raw_spin_unlock   movw $1: a plain store.
// "Byte lock" is the usual name; Xen's word is an s16, modelled as such.
//
// Guarantees: mutual exclusion only. No order and no bound on a waiter's
// wait: at release every waiter races for the word, and the releasing CPU,
// which still has the line, often wins it back.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "benchmarks/locks/lock_api.h"
#include "harness/measure/platform.h"

namespace lockbench {

// kAlign and Embedded: as TicketLockT's (ticket_lock.h).
template <std::size_t kAlign = kCacheLine>
class XenByteLockT {
 public:
  static constexpr std::uint64_t kTicketSpace = 0;
  using Embedded = XenByteLockT<alignof(std::int16_t)>;

  explicit XenByteLockT(const LockSetup&) {}

  Acquired lock(int) {
    // Acquire: the xchg that takes the word pairs with the holder's
    // release store of 1.
    if (word_.exchange(0, std::memory_order_acquire) > 0) return {.contended = false};
    for (;;) {
      while (word_.load(std::memory_order_relaxed) <= 0) cpu_relax();
      if (word_.exchange(0, std::memory_order_acquire) > 0) return {.contended = true};
    }
  }

  Released unlock(int) {
    word_.store(1, std::memory_order_release);
    return {};
  }

  std::string check_quiescent() const {
    const std::int16_t now = word_.load(std::memory_order_relaxed);
    return now == 1 ? "" : "byte lock not free at quiescence: word " + std::to_string(now);
  }

 private:
  alignas(kAlign) std::atomic<std::int16_t> word_{1};
};

using XenByteLock = XenByteLockT<>;

}  // namespace lockbench
