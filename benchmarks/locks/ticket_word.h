// The lock word of Xen's and Linux's x86 ticket locks (arch_spinlock_t):
// head ("now serving") in the low half and tail ("next ticket") in the high
// half of one 64-bit word.
//
// Taking a ticket is one fetch-and-add on the whole word that returns head
// and tail together, so an uncontended lock costs one atomic and no further
// load. A carry out of tail falls off the top of the word, so both halves
// wrap independently. Head is updated with 32-bit atomics on its half, as
// the kernel does with its sub-word adds.
//
// std::atomic cannot express atomics on the halves of one atomic object, so
// the word is a plain union accessed only through the __atomic builtins
// (GCC and Clang define mixed-size atomics on x86-64 and aarch64; the kernel
// relies on the same).
#pragma once

#include <cstdint>

namespace lockbench {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "head is the low half of the lock word");

class TicketWord {
 public:
  struct Tickets {
    std::uint32_t head;
    std::uint32_t tail;
  };

  // Adds inc to tail. Acquire: when the returned head equals the returned
  // tail the lock is ours at once, and this must pair with the previous
  // holder's release of head.
  Tickets take_ticket(std::uint32_t inc) {
    const std::uint64_t old =
        __atomic_fetch_add(&word_.pair, std::uint64_t{inc} << 32, __ATOMIC_ACQUIRE);
    return {static_cast<std::uint32_t>(old), static_cast<std::uint32_t>(old >> 32)};
  }

  std::uint32_t head() const { return __atomic_load_n(&word_.half.head, __ATOMIC_ACQUIRE); }
  Tickets snapshot() const {
    const std::uint64_t now = __atomic_load_n(&word_.pair, __ATOMIC_RELAXED);
    return {static_cast<std::uint32_t>(now), static_cast<std::uint32_t>(now >> 32)};
  }

  // Only the holder advances head in a plain ticket lock: a load and a
  // release store suffice (Xen uses a non-atomic add for the same reason).
  void advance_head(std::uint32_t inc) {
    const std::uint32_t head = __atomic_load_n(&word_.half.head, __ATOMIC_RELAXED);
    __atomic_store_n(&word_.half.head, head + inc, __ATOMIC_RELEASE);
  }

  // Atomic read-modify-writes on head, for locks where waiters write head
  // too (the PV lock's SLOWPATH flag). Both acq_rel; see the PV lock.
  std::uint32_t fetch_add_head(std::uint32_t inc) {
    return __atomic_fetch_add(&word_.half.head, inc, __ATOMIC_ACQ_REL);
  }
  std::uint32_t fetch_or_head(std::uint32_t bits) {
    return __atomic_fetch_or(&word_.half.head, bits, __ATOMIC_ACQ_REL);
  }

  // Replaces head and tail together if both still hold `expected`.
  bool compare_exchange(Tickets expected, Tickets desired) {
    std::uint64_t want = pack(expected);
    return __atomic_compare_exchange_n(&word_.pair, &want, pack(desired), false, __ATOMIC_RELAXED,
                                       __ATOMIC_RELAXED);
  }

 private:
  static std::uint64_t pack(Tickets t) { return std::uint64_t{t.tail} << 32 | t.head; }

  union {
    std::uint64_t pair;
    Tickets half;
  } word_{};
};

}  // namespace lockbench
