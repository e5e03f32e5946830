// Linux's queued spinlock (kernel/locking/qspinlock.c, 4.2 on), what x86
// and arm64 kernels run natively today; with Paravirt hooks, its
// paravirtual form (pv_qspinlock.h). The kernel compiles one slow path twice,
// once with the PV hooks as no-ops; so does this template.
//
//   lock:    compare-and-swap the word 0 -> locked; else the slow path.
//   pending: (native only) a lone waiter sets the pending bit and spins on
//            the word instead of queueing: it takes the lock by turning
//            pending into locked when the holder leaves.
//   queue:   make this thread's MCS node, swap the tail to it, link behind
//            the old tail and spin on the node's own `locked` until the
//            predecessor makes it head; the head spins on the word until
//            locked and pending are clear, takes the lock (clearing the
//            tail if it is still the last), and makes its successor head.
//   unlock:  a release store of 0 to the locked byte.
//
// Guarantees: mutual exclusion; FIFO among queued waiters, but a newcomer
// may pass them (the pending path when nobody is queued; steals in the PV
// form), so there is no grant order to check. Each waiter spins on its own
// node's line. Failure mode under vCPU preemption: a queued waiter whose vCPU
// is off the CPU holds up every waiter behind it, as the ticket lock's did.
//
// Departures: nodes are per thread and threads do not nest, so the tail
// index is 0 and a thread has one node (the kernel has four per CPU, one per
// context). Step delays (StepDelay, off in measured runs) sit between the
// slow path's steps so stress tests can widen every window.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "benchmarks/locks/lock_api.h"
#include "benchmarks/locks/qspinlock_word.h"
#include "harness/measure/platform.h"
#include "harness/measure/step_delay.h"
#include "harness/measure/thread_slots.h"

namespace lockbench {

// A thread's MCS node (the kernel's per-CPU struct qnode), on a line of its
// own, with the paravirtual part (struct pv_node) that the native lock
// leaves untouched.
struct QueueNode {
  enum State : std::uint32_t { kRunning, kHalted, kHashed };  // enum vcpu_state

  QueueNode(int thread_, StepDelay step_) : thread(thread_), step(step_) {}

  std::atomic<std::uint32_t> locked{0};  // 1: the predecessor made this node the head
  std::atomic<QueueNode*> next{nullptr};
  const int thread;                       // pv_node.cpu: whom a kick wakes
  std::atomic<std::uint32_t> state{kRunning};
  std::atomic<std::uint32_t> kicked{0};   // the vCPU's kick event: its futex word
  StepDelay step;
};

// The native lock's hooks: nothing to do beside the queue.
class NativeQueueing {
 public:
  static constexpr bool kParavirt = false;

  explicit NativeQueueing(const LockSetup&) {}
  void init_node(QueueNode&) {}
  // queued_spin_trylock: one attempt, and only on a free, unqueued word.
  bool trylock(QspinlockWord& word, Acquired&) {
    std::uint32_t val = word.load();
    return val == 0 && word.compare_exchange(val, QspinlockWord::kLocked, __ATOMIC_ACQUIRE);
  }
  void wait_node(QueueNode&, const QueueNode&, Acquired&) {}
  void kick_node(QspinlockWord&, QueueNode&, Acquired&) {}
  std::uint32_t wait_head_or_lock(QspinlockWord&, QueueNode&, Acquired&) { return 0; }
  Released unlock(QspinlockWord& word) {
    word.store_locked(0, __ATOMIC_RELEASE);
    return {};
  }
  std::string check_quiescent() const { return ""; }
};

template <typename Hooks>
class QueuedSpinLockT {
 public:
  static constexpr std::uint64_t kTicketSpace = 0;  // newcomers may pass queued waiters

  explicit QueuedSpinLockT(const LockSetup& setup)
      : hooks_(setup),
        step_sleep_pct_(setup.step_sleep_pct),
        step_sleep_us_(setup.step_sleep_us),
        nodes_(static_cast<std::size_t>(setup.threads)) {}

  void setup_thread(int thread) {
    nodes_.make(static_cast<std::size_t>(thread), thread,
                StepDelay(step_sleep_pct_, step_sleep_us_,
                          static_cast<std::uint64_t>(thread) + 211));
  }

  Acquired lock(int thread) {
    std::uint32_t val = 0;
    if (word_.compare_exchange(val, QspinlockWord::kLocked, __ATOMIC_ACQUIRE)) {
      return {.contended = false};
    }
    Acquired got{.contended = true};
    slowpath(thread, val, got);
    return got;
  }

  Released unlock(int) { return hooks_.unlock(word_); }

  std::string check_quiescent() const {
    if (const std::uint32_t val = word_.load(); val != 0) {
      return "queued spinlock not idle at quiescence: word " + std::to_string(val);
    }
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].value.state.load(std::memory_order_relaxed) != QueueNode::kRunning) {
        return "queued spinlock: thread " + std::to_string(i) + "'s node is still waiting";
      }
    }
    return hooks_.check_quiescent();
  }

 private:
  // queued_spin_lock_slowpath, with val the word the fast path found.
  void slowpath(int thread, std::uint32_t val, Acquired& got) {
    if constexpr (!Hooks::kParavirt) {
      if (take_by_pending(val)) return;
    }
    QueueNode& own = node(thread);
    own.locked.store(0, std::memory_order_relaxed);
    own.next.store(nullptr, std::memory_order_relaxed);
    hooks_.init_node(own);
    if (hooks_.trylock(word_, got)) return;

    own.step.at_step();
    const std::uint32_t tail = QspinlockWord::encode_tail(thread);
    const std::uint32_t old = word_.exchange_tail(tail);
    QueueNode* next = nullptr;
    if (old & QspinlockWord::kTailMask) {
      QueueNode& prev = node(QspinlockWord::decode_tail(old));
      own.step.at_step();
      // Release pairs with the predecessor's acquire load of its next: our
      // node's reset is visible before it hands us the head.
      prev.next.store(&own, std::memory_order_release);
      hooks_.wait_node(own, prev, got);
      // Acquire pairs with the predecessor's release of our locked: what
      // it did while holding the lock is visible to us as the next head.
      while (own.locked.load(std::memory_order_acquire) == 0) cpu_relax();
      next = own.next.load(std::memory_order_acquire);
    }

    // The head: wait for the holder and any pending waiter to leave.
    std::uint32_t now = hooks_.wait_head_or_lock(word_, own, got);
    if (now == 0) {
      own.step.at_step();
      // Acquire pairs with the holder's release of the locked byte.
      while ((now = word_.load(__ATOMIC_ACQUIRE)) & QspinlockWord::kLockedPendingMask) cpu_relax();
    }
    // Still the last in the queue: take the lock and clear the tail in one
    // step. Relaxed: the load above (or the PV trylock) acquired.
    if ((now & QspinlockWord::kTailMask) == tail &&
        word_.compare_exchange(now, QspinlockWord::kLocked, __ATOMIC_RELAXED)) {
      return;
    }
    word_.store_locked(QspinlockWord::kLocked, __ATOMIC_RELAXED);  // set_locked
    // Someone queued behind us: wait for them to link, make them head.
    if (next == nullptr) {
      while ((next = own.next.load(std::memory_order_acquire)) == nullptr) cpu_relax();
    }
    next->locked.store(1, std::memory_order_release);
    // A PV holder may lose its CPU here, before pv_kick_node (the window of
    // the double hash race, pv_qspinlock.h).
    if constexpr (Hooks::kParavirt) own.step.at_step();
    hooks_.kick_node(word_, *next, got);
  }

  // The pending bit (native only): one waiter, with nobody queued, spins on
  // the word itself; a queue of one would cost it a node's cache line.
  // Returns true with the lock taken, false to queue.
  bool take_by_pending(std::uint32_t val) {
    // A waiter is turning pending into locked: give it a bounded while
    // (x86's _Q_PENDING_LOOPS).
    for (int loops = kPendingLoops; val == QspinlockWord::kPending && loops > 0; --loops) {
      cpu_relax();
      val = word_.load();
    }
    if (val & ~QspinlockWord::kLockedMask) return false;  // pending or queued: queue
    val = word_.fetch_set_pending_acquire();
    if (val & ~QspinlockWord::kLockedMask) {
      // Another waiter got in first. Undo our pending bit if we set it,
      // and queue.
      if (!(val & QspinlockWord::kPendingMask)) word_.store_pending(0);
      return false;
    }
    // Acquire pairs with the holder's release of the locked byte.
    if (val & QspinlockWord::kLockedMask) {
      while (word_.locked(__ATOMIC_ACQUIRE) != 0) cpu_relax();
    }
    word_.store_locked_pending(QspinlockWord::kLocked);  // clear_pending_set_locked
    return true;
  }

  QueueNode& node(int thread) { return nodes_[static_cast<std::size_t>(thread)].value; }

  static constexpr int kPendingLoops = 1 << 9;

  // The word alone on its line: what the hooks read on every slow path
  // (thresholds, the hash table's address) must not bounce with it.
  alignas(kCacheLine) QspinlockWord word_;
  alignas(kCacheLine) Hooks hooks_;
  const double step_sleep_pct_;
  const std::uint32_t step_sleep_us_;
  ThreadSlots<QueueNode> nodes_;
};

using QueuedSpinLock = QueuedSpinLockT<NativeQueueing>;

}  // namespace lockbench
