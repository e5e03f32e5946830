// Concurrency Kit's ticket lock (ck_spinlock_ticket), the peer
// implementation: a 64-bit word with the next ticket in the upper half and
// the position in the lower half. The reference the ticket variant is
// checked against: same algorithm, someone else's code.
#pragma once

#include <spinlock/ticket.h>

#include <string>

#include "benchmarks/locks/lock_api.h"

namespace lockbench::spinlock {

class CkTicketLock {
 public:
  // ck does not hand out its ticket number, so order is not checked here.
  static constexpr std::uint64_t kTicketSpace = 0;

  explicit CkTicketLock(const LockSetup&) { ck_spinlock_ticket_init(&lock_); }

  // ck's lock() does not say whether it waited; a snapshot of the word on
  // arrival would be a load of the contended line that `ticket` does not
  // make, so contention is not reported.
  Acquired lock(int) {
    ck_spinlock_ticket_lock(&lock_);
    return {};
  }

  Released unlock(int) {
    ck_spinlock_ticket_unlock(&lock_);
    return {};
  }

  std::string check_quiescent() const {
    return ck_spinlock_ticket_locked(&lock_) ? "ck ticket lock still held at quiescence" : "";
  }

 private:
  alignas(kCacheLine) mutable ck_spinlock_ticket_t lock_;
};

}  // namespace lockbench::spinlock
