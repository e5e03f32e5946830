// The lock word of Linux's queued spinlock (struct qspinlock, with
// _Q_PENDING_BITS == 8, as for fewer than 16K CPUs), one 32-bit word:
//
//   bits  0- 7  locked byte: 0 free, 1 held (_Q_LOCKED_VAL), 3 held and the
//               queue head asleep (_Q_SLOW_VAL, paravirtual only)
//   bits  8-15  pending byte: one waiter spinning on the word, or (PV) the
//               queue head spinning, which shuts out lock stealing
//   bits 16-17  tail index: the nesting context of the last queued node
//   bits 18-31  tail CPU + 1: whose node is last in the MCS queue (0: none)
//
// The kernel reads and writes the locked byte, the locked+pending halfword
// and the tail halfword as objects of their own (the union in
// qspinlock_types.h), so that a holder releases the lock with a byte store
// and a queuer swaps the tail without touching the lock byte. std::atomic
// cannot express atomics on parts of one atomic object, so the word is a
// plain union accessed only through the __atomic builtins (GCC and Clang
// define mixed-size atomics on x86-64 and aarch64; the kernel relies on the
// same). Departure: threads do not nest (no interrupt contexts), so the tail
// index is always 0.
#pragma once

#include <cstdint>

namespace lockbench {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the locked byte is the low byte");

class QspinlockWord {
 public:
  static constexpr std::uint32_t kLocked = 1;      // _Q_LOCKED_VAL
  static constexpr std::uint32_t kSlow = 3;        // _Q_SLOW_VAL
  static constexpr std::uint32_t kLockedMask = 0xff;
  static constexpr std::uint32_t kPending = 1u << 8;  // _Q_PENDING_VAL
  static constexpr std::uint32_t kPendingMask = 0xff00;
  static constexpr std::uint32_t kLockedPendingMask = 0xffff;
  static constexpr std::uint32_t kTailMask = 0xffff0000;

  // The tail of a thread's node (nesting index 0), and back.
  static std::uint32_t encode_tail(int thread) {
    return static_cast<std::uint32_t>(thread + 1) << kTailCpuOffset;
  }
  static int decode_tail(std::uint32_t tail) {
    return static_cast<int>(tail >> kTailCpuOffset) - 1;
  }

  std::uint32_t load(int order = __ATOMIC_RELAXED) const {
    return __atomic_load_n(&word_.val, order);
  }
  // The whole word: expected is updated to what was found on failure.
  bool compare_exchange(std::uint32_t& expected, std::uint32_t desired, int order) {
    return __atomic_compare_exchange_n(&word_.val, &expected, desired, false, order,
                                       __ATOMIC_RELAXED);
  }
  // queued_fetch_set_pending_acquire: sets pending, returns the word as it
  // was. x86 (arch/x86/include/asm/qspinlock.h) does it with one `lock bts`,
  // which returns only the old pending bit, and reads the other bits after;
  // elsewhere it is atomic_fetch_or_acquire. (A fetch-or whose whole result is
  // used compiles to a compare-and-swap loop on x86, which Linux avoids.)
  std::uint32_t fetch_set_pending_acquire() {
#if defined(__x86_64__) || defined(__i386__)
    const bool was = __atomic_fetch_or(&word_.val, kPending, __ATOMIC_ACQUIRE) & kPending;
    return (was ? kPending : 0) | (__atomic_load_n(&word_.val, __ATOMIC_RELAXED) & ~kPendingMask);
#else
    return __atomic_fetch_or(&word_.val, kPending, __ATOMIC_ACQUIRE);
#endif
  }

  // xchg_tail: publishes a queued node, returning the previous tail (in word
  // position). Release: the node's initialisation is visible to whoever
  // finds it through the tail (the kernel's smp_wmb() before the swap).
  std::uint32_t exchange_tail(std::uint32_t tail) {
    const auto half = static_cast<std::uint16_t>(tail >> kTailOffset);
    return std::uint32_t{__atomic_exchange_n(&word_.parts.tail, half, __ATOMIC_RELEASE)}
           << kTailOffset;
  }

  std::uint8_t locked(int order = __ATOMIC_RELAXED) const {
    return __atomic_load_n(&word_.parts.locked, order);
  }
  void store_locked(std::uint8_t value, int order) {
    __atomic_store_n(&word_.parts.locked, value, order);
  }
  std::uint8_t exchange_locked(std::uint8_t value) {
    return __atomic_exchange_n(&word_.parts.locked, value, __ATOMIC_SEQ_CST);
  }
  // expected is updated to what was found on failure.
  bool compare_exchange_locked(std::uint8_t& expected, std::uint8_t desired, int order) {
    return __atomic_compare_exchange_n(&word_.parts.locked, &expected, desired, false, order,
                                       __ATOMIC_RELAXED);
  }
  void store_pending(std::uint8_t value) {
    __atomic_store_n(&word_.parts.pending, value, __ATOMIC_RELAXED);
  }
  void store_locked_pending(std::uint16_t value) {
    __atomic_store_n(&word_.halves.locked_pending, value, __ATOMIC_RELAXED);
  }
  bool compare_exchange_locked_pending(std::uint16_t expected, std::uint16_t desired) {
    return __atomic_compare_exchange_n(&word_.halves.locked_pending, &expected, desired, false,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
  }

 private:
  static constexpr int kTailOffset = 16;
  static constexpr int kTailCpuOffset = 18;

  union {
    std::uint32_t val;
    struct {
      std::uint8_t locked;
      std::uint8_t pending;
      std::uint16_t tail;
    } parts;
    struct {
      std::uint16_t locked_pending;
      std::uint16_t tail;
    } halves;
  } word_{};
};

}  // namespace lockbench
