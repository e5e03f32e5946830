// Paravirtualised ticket lock: Linux 3.12+ with the slow-path flag in head
// (4.0 on), backend as Xen's arch/x86/xen/spinlock.c of that era. Seed 002.
//
// The fast path is the ticket lock, with tickets stepping by 2 so that bit 0
// of head is free for the SLOWPATH flag:
//
//   lock:   my_ticket = tail += 2; spin up to spin_threshold while head != my_ticket
//           (ignoring the flag); past it, block and spin again when woken.
//   block:  publish {lock, want = my_ticket}; set our bit in waiting_cpus;
//           head |= SLOWPATH; re-check head == my_ticket (it may have been released
//           meanwhile); sleep until kicked; clear our bit.
//   unlock: prev = head += 2 (the flag survives the add); if prev had
//           SLOWPATH, kick the one waiter, among those in waiting_cpus,
//           whose record wants the new head.
//   clear:  the next holder clears SLOWPATH, with a compare-and-swap over
//           head and tail together that succeeds only if nobody is queued.
//
// Blocking a vCPU in the hypervisor is modelled by a futex wait on the
// waiter's own word; the kick is a futex wake of that one thread. Like Xen's
// poll on a pending event channel, a kick sent before the sleep is not lost:
// the futex value check turns it into an immediate return.
//
// Guarantees: mutual exclusion, FIFO by ticket; a waiter whose vCPU is off
// the CPU stops burning the CPUs of those queued behind it. Failure mode: a
// hand-off to a blocked waiter costs a wake-up (microseconds), so under light
// contention it is slower than spinning; spin_threshold trades the two.
//
// The lock word is the ticket lock's (ticket_word.h): head and tail as the
// two halves of one 64-bit word, as in the kernel's arch_spinlock_t.
//
// kRecheck = false is the deliberately broken variant: it skips the re-check
// after setting SLOWPATH, so an unlock that slipped in between the last spin
// and the flag is never followed by a kick, and the waiter sleeps forever on
// a lock that is already its own. The watchdog must catch it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/locks/lock_api.h"
#include "benchmarks/locks/ticket_word.h"
#include "harness/measure/futex.h"
#include "harness/measure/step_delay.h"
#include "harness/measure/thread_slots.h"

namespace lockbench::spinlock {

template <bool kRecheck>
class PvTicketLockT {
 public:
  static constexpr std::uint32_t kInc = 2;
  static constexpr std::uint32_t kSlowpath = 1;
  static constexpr std::uint64_t kTicketSpace = std::uint64_t{1} << 31;

  explicit PvTicketLockT(const LockSetup& setup)
      : spin_threshold_(setup.spin_threshold),
        step_sleep_pct_(setup.step_sleep_pct),
        step_sleep_us_(setup.step_sleep_us),
        waiters_(static_cast<std::size_t>(setup.threads)),
        waiting_(static_cast<std::size_t>(setup.threads + 63) / 64) {}

  void setup_thread(int thread) {
    waiters_.make(static_cast<std::size_t>(thread),
                  StepDelay(step_sleep_pct_, step_sleep_us_,
                            static_cast<std::uint64_t>(thread) + 101));
  }

  Acquired lock(int thread) {
    Waiter& record = waiter(thread);
    const TicketWord::Tickets taken = word_.take_ticket(kInc);
    const std::uint32_t my_ticket = taken.tail;
    std::uint32_t head = taken.head;
    Acquired got{.contended = (head & ~kSlowpath) != my_ticket, .ticket = my_ticket / kInc};
    for (;;) {
      for (std::uint32_t spins = spin_threshold_; spins != 0; --spins) {
        if ((head & ~kSlowpath) == my_ticket) {
          clear_slowpath(head);
          return got;
        }
        cpu_relax();
        head = word_.head();
      }
      if ((head & ~kSlowpath) == my_ticket) continue;  // got it on the last spin
      block(thread, record, my_ticket, got);
      head = word_.head();
    }
  }

  Released unlock(int thread) {
    // acq_rel: release publishes the critical section to the next holder;
    // acquire pairs with the release in block()'s flag set, so if we see
    // SLOWPATH we also see the record of the waiter that set it.
    const std::uint32_t prev = word_.fetch_add_head(kInc);
    // From here the lock word is never touched again: the pre-4.0 unlock
    // read it after the release, a use-after-free once the lock is freed.
    if ((prev & kSlowpath) == 0) return {};
    Waiter& record = waiter(thread);
    record.step.at_step();
    return {.kicked = kick((prev & ~kSlowpath) + kInc)};
  }

  std::string check_quiescent() const {
    for (std::size_t i = 0; i < waiters_.size(); ++i) {
      if (waiters_[i].value.lock.load(std::memory_order_relaxed) != nullptr) {
        return "PV ticket lock: thread " + std::to_string(i) +
               " is still registered as a waiter at quiescence";
      }
    }
    for (std::size_t word = 0; word < waiting_.size(); ++word) {
      if (const std::uint64_t bits = waiting_[word].load(std::memory_order_relaxed)) {
        return "PV ticket lock: thread " + std::to_string(word * 64 + __builtin_ctzll(bits)) +
               " is still in waiting_cpus at quiescence";
      }
    }
    const TicketWord::Tickets now = word_.snapshot();
    if ((now.head & ~kSlowpath) == now.tail) return "";
    return "PV ticket lock not idle at quiescence: head " + std::to_string(now.head) + ", tail " +
           std::to_string(now.tail);
  }

 private:
  // The per-thread waiting record (Xen's per-CPU lock_waiting) and the event
  // the kick sets (the per-CPU kicker event channel).
  struct Waiter {
    explicit Waiter(StepDelay delay) : step(delay) {}
    std::atomic<const void*> lock{nullptr};  // the lock waited on, or null
    std::atomic<std::uint32_t> want{0};      // the ticket waited for
    std::atomic<std::uint32_t> kicked{0};    // the futex word
    StepDelay step;
  };

  Waiter& waiter(int thread) { return waiters_[static_cast<std::size_t>(thread)].value; }

  // Linux's __ticket_check_and_clear_slowpath: only when nobody is queued
  // behind us (tail is one step past our ticket) may the flag go; comparing
  // head and tail in one compare-and-swap makes "nobody queued" and "clear"
  // a single step, so no waiter can set the flag in between and lose it.
  void clear_slowpath(std::uint32_t head) {
    if ((head & kSlowpath) == 0) return;
    const std::uint32_t nobody_queued = (head & ~kSlowpath) + kInc;
    word_.compare_exchange({head, nobody_queued}, {head & ~kSlowpath, nobody_queued});
  }

  // xen_lock_spinning: the slow path of one wait. Step delays sit between the
  // steps so a stress run can widen every window.
  void block(int thread, Waiter& record, std::uint32_t my_ticket, Acquired& got) {
    record.step.at_step();
    // A kick left over from an earlier wait must not end this one (Xen
    // clears the kicker event's pending bit first, for the same reason).
    record.kicked.store(0, std::memory_order_relaxed);
    record.want.store(my_ticket, std::memory_order_relaxed);
    record.lock.store(this, std::memory_order_release);  // want is visible before lock
    // cpumask_set_cpu(cpu, &waiting_cpus): an atomic set_bit, a barrier.
    waiting_word(thread).fetch_or(waiting_bit(thread), std::memory_order_acq_rel);
    record.step.at_step();
    // acq_rel: release makes the record visible to an unlocker that sees the
    // flag (its fetch_add is acquire); the read-modify-write also orders the
    // re-check below after the flag, as Linux's set_bit + smp_rmb does.
    word_.fetch_or_head(kSlowpath);
    record.step.at_step();
    // Any unlock before the flag did not kick us; if one happened, head is
    // already ours and we must not sleep.
    const bool released_meanwhile = (word_.head() & ~kSlowpath) == my_ticket;
    if (!(kRecheck && released_meanwhile)) {
      ++got.blocks;
      futex_wait(record.kicked, 0);
      if (record.kicked.load(std::memory_order_acquire) == 0) ++got.spurious_wakeups;
    }
    waiting_word(thread).fetch_and(~waiting_bit(thread), std::memory_order_relaxed);
    record.lock.store(nullptr, std::memory_order_relaxed);
  }

  // xen_unlock_kick: wake the waiter whose record wants ticket `next`,
  // looking only at the records of threads in waiting_cpus (for_each_cpu),
  // so a slow unlock reads as many records as there are sleepers.
  bool kick(std::uint32_t next) {
    for (std::size_t word = 0; word < waiting_.size(); ++word) {
      // Acquire: a bit seen set comes with its owner's record.
      std::uint64_t bits = waiting_[word].load(std::memory_order_acquire);
      for (; bits != 0; bits &= bits - 1) {
        Waiter& w = waiter(static_cast<int>(word * 64) + __builtin_ctzll(bits));
        if (w.lock.load(std::memory_order_acquire) == this &&
            w.want.load(std::memory_order_relaxed) == next) {
          w.kicked.store(1, std::memory_order_release);
          futex_wake_one(w.kicked);
          return true;
        }
      }
    }
    return false;
  }

  std::atomic<std::uint64_t>& waiting_word(int thread) {
    return waiting_[static_cast<std::size_t>(thread) / 64];
  }
  static std::uint64_t waiting_bit(int thread) { return std::uint64_t{1} << (thread % 64); }

  alignas(kCacheLine) TicketWord word_;
  const std::uint32_t spin_threshold_;
  const double step_sleep_pct_;
  const std::uint32_t step_sleep_us_;
  ThreadSlots<Waiter> waiters_;
  // waiting_cpus: a bit per thread blocked (or about to block) on this lock.
  // Xen's mask is global, across locks; one lock is modelled here.
  std::vector<std::atomic<std::uint64_t>> waiting_;
};

using PvTicketLock = PvTicketLockT<true>;
using PvTicketLockNoRecheck = PvTicketLockT<false>;

}  // namespace lockbench::spinlock
