// The paravirtual queued spinlock (Linux kernel/locking/qspinlock_paravirt.h,
// 4.2 on): what a guest with PV spinlocks runs on Xen or KVM today, the
// successor of the PV ticket lock (seed 002). The hooks of qspinlock.h:
//
//   trylock:   before queueing, steal: take the lock whenever it is free
//              and no head is spinning for it (pending clear), as long as
//              waiters are queued (pv_hybrid_queued_unfair_trylock, the
//              hybrid PV queued/unfair lock of 11752adb68a3, Linux 4.15 on;
//              4.2-4.14 made one steal attempt, pv_queued_spin_steal_lock).
//              A running vCPU does not wait behind a preempted queue.
//   wait_node: a queued waiter spins spin_threshold times on its node (and
//              gives up early when its predecessor is not running), then
//              marks itself halted and waits for a kick (pv_wait).
//   kick_node: the holder that makes a halted waiter head does not wake it:
//              it marks the waiter hashed, puts (lock -> node) in the hash
//              table and sets the locked byte to _Q_SLOW_VAL, so that its own
//              unlock will kick it.
//   wait_head: the head sets pending (no stealing while it spins), spins
//              spin_threshold times for the lock, then clears pending,
//              hashes (lock -> node) once, swaps _Q_SLOW_VAL into the locked
//              byte (taking the lock if it was free) and waits for a kick.
//   unlock:    compare-and-swap locked 1 -> 0; if it was _Q_SLOW_VAL, find
//              the head through the hash table, release, and kick it.
//
// pv_wait and pv_kick are Xen's (arch/x86/xen/spinlock.c, xen_qlock_wait
// and xen_qlock_kick, as fixed in 2018): a kick already pending is consumed
// and the wait returns (a spurious wake-up the caller re-checks); otherwise
// the vCPU blocks until kicked, unless the waited-on byte has changed.
// Modelled by a futex on the node's own word; a kick sent before the block
// is not lost. Before the fix the pending kick was cleared unconditionally
// and the byte re-checked; a kick that landed between entry and the clear
// was lost if the byte had meanwhile gone back to the waited-for value.
// That needs the per-CPU kick event shared by waits on different locks (a
// nested wait in an interrupt handler); with one lock and a kick word per
// node it cannot happen here, so it is not a broken variant.
//
// Departures: the hash table belongs to the lock, not to the kernel (one
// lock here, so one entry at most is ever in use; sized and probed as the
// kernel's). A steal is counted when it passes queued waiters (the kernel's
// pv_lock_stealing counts every success of the trylock).
//
// kHashRaceFixed = false is the deliberately broken variant, Linux 4.2-4.7
// before 229ce6315747 ("locking/pvqspinlock: Fix double hash race"): a head
// that has hashed itself goes to sleep as kHalted instead of kHashed, so a
// holder preempted between making it head and pv_kick_node still sees it
// halted and hashes it a second time. The stale entry is left at quiescence,
// or a later unlock finds it first and kicks a node that is not asleep while
// the real head sleeps on (the watchdog's).
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "benchmarks/locks/lock_api.h"
#include "benchmarks/locks/qspinlock.h"
#include "benchmarks/locks/qspinlock_word.h"
#include "harness/measure/futex.h"
#include "harness/measure/platform.h"

namespace lockbench {

// pv_lock_hash: which node sleeps as the head of which lock. Open
// addressing from the first entry of the hashed cache line.
class PvLockHash {
 public:
  // As the kernel sizes it: 4 entries per CPU, at least a page of them.
  explicit PvLockHash(int threads)
      : entries_(std::bit_ceil(std::max<std::size_t>(4 * static_cast<std::size_t>(threads),
                                                     kPageEntries))) {}

  // pv_hash: the node as the lock's sleeping head; the entry's lock word.
  std::atomic<const void*>& insert(const void* lock, QueueNode& node, std::uint32_t& probes) {
    for (std::size_t offset = 0, start = first(lock); offset < entries_.size(); ++offset) {
      Entry& entry = at(start + offset);
      ++probes;
      const void* empty = nullptr;
      if (entry.lock.compare_exchange_strong(empty, lock, std::memory_order_relaxed)) {
        entry.node.store(&node, std::memory_order_relaxed);
        return entry.lock;
      }
    }
    throw std::logic_error("PV lock hash full");  // the kernel's BUG()
  }

  // pv_unhash: the lock's sleeping head, its entry freed; null if none.
  QueueNode* remove(const void* lock, std::uint32_t& probes) {
    for (std::size_t offset = 0, start = first(lock); offset < entries_.size(); ++offset) {
      Entry& entry = at(start + offset);
      ++probes;
      if (entry.lock.load(std::memory_order_relaxed) == lock) {
        QueueNode* node = entry.node.load(std::memory_order_relaxed);
        entry.lock.store(nullptr, std::memory_order_relaxed);
        return node;
      }
    }
    return nullptr;
  }

  std::size_t in_use() const {
    std::size_t used = 0;
    for (const Entry& entry : entries_) used += entry.lock.load(std::memory_order_relaxed) != nullptr;
    return used;
  }

 private:
  struct Entry {
    std::atomic<const void*> lock{nullptr};
    std::atomic<QueueNode*> node{nullptr};
  };
  static constexpr std::size_t kPageEntries = 4096 / sizeof(Entry);
  static constexpr std::size_t kPerLine = kCacheLine / sizeof(Entry);

  // hash_ptr, then back to the start of its line.
  std::size_t first(const void* lock) const {
    const auto bits = static_cast<unsigned>(std::countr_zero(entries_.size()));
    const std::uint64_t hash =
        (reinterpret_cast<std::uintptr_t>(lock) * 0x61c8864680b583ebull) >> (64 - bits);
    return static_cast<std::size_t>(hash) & ~(kPerLine - 1);
  }
  Entry& at(std::size_t i) { return entries_[i & (entries_.size() - 1)]; }

  std::vector<Entry> entries_;
};

template <bool kHashRaceFixed>
class Paravirt {
 public:
  static constexpr bool kParavirt = true;

  explicit Paravirt(const LockSetup& setup)
      : spin_threshold_(setup.spin_threshold), hash_(setup.threads) {}

  void init_node(QueueNode& node) { node.state.store(QueueNode::kRunning, std::memory_order_relaxed); }

  // pv_hybrid_queued_unfair_trylock.
  bool trylock(QspinlockWord& word, Acquired& got) {
    for (;;) {
      const std::uint32_t val = word.load();
      std::uint8_t free = 0;
      if (!(val & QspinlockWord::kLockedPendingMask) &&
          word.compare_exchange_locked(free, QspinlockWord::kLocked, __ATOMIC_ACQUIRE)) {
        got.stolen = (val & QspinlockWord::kTailMask) != 0;
        return true;
      }
      if (!(val & QspinlockWord::kTailMask) || (val & QspinlockWord::kPendingMask)) return false;
      cpu_relax();
    }
  }

  // pv_wait_node: returns once the predecessor made this node head (the
  // caller's acquire load of node.locked then orders what follows).
  void wait_node(QueueNode& node, const QueueNode& prev, Acquired& got) {
    for (;;) {
      for (std::uint32_t loop = spin_threshold_; loop != 0; --loop) {
        if (node.locked.load(std::memory_order_relaxed)) return;
        // pv_wait_early: every 256 spins, stop if the predecessor sleeps.
        if ((loop & kPrevCheckMask) == 0 &&
            prev.state.load(std::memory_order_relaxed) != QueueNode::kRunning) {
          break;
        }
        cpu_relax();
      }
      node.step.at_step();
      // smp_store_mb: the halted state is visible before locked is read,
      // pairing with the fence in kick_node (a store-buffering pattern:
      // either we see locked, or the new holder sees us halted).
      node.state.store(QueueNode::kHalted, std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (!node.locked.load(std::memory_order_relaxed)) {
        got.blocks += pv_wait(node, [&] {
          return node.state.load(std::memory_order_relaxed) == QueueNode::kHalted;
        });
      }
      // Keep kHashed if kick_node set it: the head then knows it is hashed.
      std::uint32_t halted = QueueNode::kHalted;
      node.state.compare_exchange_strong(halted, QueueNode::kRunning, std::memory_order_seq_cst);
      if (!node.locked.load(std::memory_order_relaxed)) ++got.spurious_wakeups;
    }
  }

  // pv_kick_node: called by the holder right after making `next` head.
  void kick_node(QspinlockWord& word, QueueNode& next, Acquired& got) {
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with wait_node's
    std::uint32_t halted = QueueNode::kHalted;
    if (!next.state.compare_exchange_strong(halted, QueueNode::kHashed,
                                            std::memory_order_relaxed)) {
      return;  // running: it sees its locked and carries on
    }
    // The holder's own unlock reads these: no ordering needed.
    word.store_locked(QspinlockWord::kSlow, __ATOMIC_RELAXED);
    hash_.insert(&word, next, got.hash_probes);
  }

  // pv_wait_head_or_lock: the word with the lock taken.
  std::uint32_t wait_head_or_lock(QspinlockWord& word, QueueNode& node, Acquired& got) {
    bool hashed = node.state.load(std::memory_order_relaxed) == QueueNode::kHashed;
    for (;;) {
      node.state.store(QueueNode::kRunning, std::memory_order_relaxed);
      word.store_pending(1);  // no stealing while the head spins
      for (std::uint32_t loop = spin_threshold_; loop != 0; --loop) {
        if (trylock_clear_pending(word)) return word.load() | QspinlockWord::kLocked;
        cpu_relax();
      }
      word.store_pending(0);
      node.step.at_step();
      if (!hashed) {
        hashed = true;
        std::atomic<const void*>& entry = hash_.insert(&word, node, got.hash_probes);
        // Hash before _Q_SLOW_VAL (the exchange is a full barrier): an
        // unlocker that sees _Q_SLOW_VAL finds the entry.
        if (word.exchange_locked(QspinlockWord::kSlow) == 0) {
          // The lock was free: it is ours.
          word.store_locked(QspinlockWord::kLocked, __ATOMIC_RELAXED);
          entry.store(nullptr, std::memory_order_relaxed);
          return word.load() | QspinlockWord::kLocked;
        }
      }
      node.state.store(kHashRaceFixed ? QueueNode::kHashed : QueueNode::kHalted,
                       std::memory_order_relaxed);
      node.step.at_step();
      // A thief may take the lock after the kick: then spin and wait again.
      got.blocks += pv_wait(node, [&] { return word.locked() == QspinlockWord::kSlow; });
    }
  }

  Released unlock(QspinlockWord& word) {
    std::uint8_t locked = QspinlockWord::kLocked;
    if (word.compare_exchange_locked(locked, 0, __ATOMIC_RELEASE)) return {};
    if (locked != QspinlockWord::kSlow) {
      corrupted_.store(true, std::memory_order_relaxed);  // the kernel's WARN
      return {};
    }
    // A failed compare-and-swap orders nothing: read the entry the head
    // hashed before setting _Q_SLOW_VAL only after seeing it.
    std::atomic_thread_fence(std::memory_order_acquire);
    Released released;
    QueueNode* head = hash_.remove(&word, released.hash_probes);
    word.store_locked(0, __ATOMIC_RELEASE);
    if (head == nullptr) {
      corrupted_.store(true, std::memory_order_relaxed);  // the kernel's BUG()
      return released;
    }
    pv_kick(*head);
    released.kicked = true;
    return released;
  }

  std::string check_quiescent() const {
    if (corrupted_.load(std::memory_order_relaxed)) {
      return "PV qspinlock: an unlock found the locked byte neither locked nor slow, or no "
             "hashed head";
    }
    if (const std::size_t used = hash_.in_use(); used != 0) {
      return "PV qspinlock: " + std::to_string(used) + " hash entries left at quiescence";
    }
    return "";
  }

 private:
  static constexpr std::uint32_t kPrevCheckMask = 0xff;

  // trylock_clear_pending: pending -> locked, if the holder has left.
  static bool trylock_clear_pending(QspinlockWord& word) {
    return word.locked() == 0 &&
           word.compare_exchange_locked_pending(QspinlockWord::kPending, QspinlockWord::kLocked);
  }

  // pv_wait as Xen's xen_qlock_wait: a pending kick is consumed and the wait
  // ends; else block on the kick word unless the waited-for condition has
  // gone. The kick word's exchange and futex_wait's check pair with pv_kick
  // (its fence, store, wake): a kick stored before the exchange ends the
  // wait there, one stored after it is seen by futex_wait or wakes it.
  // Returns whether it blocked.
  template <typename StillWaiting>
  static bool pv_wait(QueueNode& node, StillWaiting still_waiting) {
    if (node.kicked.exchange(0, std::memory_order_seq_cst) != 0) return false;
    if (!still_waiting()) return false;
    futex_wait(node.kicked, 0);
    return true;
  }

  static void pv_kick(QueueNode& node) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    node.kicked.store(1, std::memory_order_seq_cst);
    futex_wake_one(node.kicked);
  }

  const std::uint32_t spin_threshold_;
  PvLockHash hash_;
  std::atomic<bool> corrupted_{false};
};

using PvQueuedSpinLock = QueuedSpinLockT<Paravirt<true>>;
using PvQueuedSpinLockDoubleHash = QueuedSpinLockT<Paravirt<false>>;

}  // namespace lockbench
