// Ticket lock, as Xen's and Linux's (pre-qspinlock) x86 spinlock: a "next
// ticket" counter (tail) and a "now serving" counter (head) in one lock word.
//
// Guarantees: mutual exclusion; strict FIFO by ticket, so no starvation.
// Failure mode (seed 002): the lock is handed to one specific next waiter.
// When that waiter is not running (a preempted vCPU, or here an
// oversubscribed thread) everyone queued behind it spins through their
// time slices, and throughput collapses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "benchmarks/locks/lock_api.h"
#include "benchmarks/locks/ticket_word.h"
#include "harness/measure/platform.h"

namespace lockbench {

// kAlign: the lock word's alignment. A lock of its own keeps its word on a
// line of its own; Embedded is the lock inside a structure of the modelled
// system, laid out as that structure lays it out (evtchn's queues).
template <std::size_t kAlign = kCacheLine>
class TicketLockT {
 public:
  static constexpr std::uint64_t kTicketSpace = std::uint64_t{1} << 32;
  using Embedded = TicketLockT<alignof(TicketWord)>;

  explicit TicketLockT(const LockSetup&) {}

  Acquired lock(int) {
    const TicketWord::Tickets got = word_.take_ticket(1);
    if (got.head != got.tail) spin_until([&] { return word_.head() == got.tail; });
    return {.contended = got.head != got.tail, .ticket = got.tail};
  }

  Released unlock(int) {
    word_.advance_head(1);
    return {};
  }

  std::string check_quiescent() const {
    const TicketWord::Tickets now = word_.snapshot();
    if (now.head == now.tail) return "";
    return "ticket lock not idle at quiescence: head " + std::to_string(now.head) + ", tail " +
           std::to_string(now.tail);
  }

 private:
  // Lockers and the unlocker contend on this one line, as on the original
  // lock word; that traffic is part of what is measured.
  alignas(kAlign) TicketWord word_;
};

using TicketLock = TicketLockT<>;

}  // namespace lockbench
