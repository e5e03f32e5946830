// The persocket variant, as Linux merged the pvcalls backend: each socket a
// serial work item (its own workqueue, unbound with max_active 1: ordered)
// on a shared pool of workers (the unbound pool: one worklist under the pool
// lock), with the socket's `io` counter (pvcalls_back_ioworker):
//
//   notify: io++; queue_work (workqueue.h): if the item's PENDING bit was
//           clear, set it, and under the pool lock count it in its pwq and
//           put it on the pool's worklist, or, if it is running (its
//           nr_active is at max_active), on its delayed list until that run
//           ends.
//   worker: under the pool lock, a run's completion (pwq_dec_nr_in_flight:
//           a delayed item goes on the worklist) and the next item's dequeue
//           and claim (PENDING cleared as it starts, so a notification from
//           then on queues it again), as worker_thread's loop; the worker
//           goes idle in that hold when the worklist is empty.
//   run:    the item drains its ring while io > 0, taking one off per pass,
//           so a notification during a pass makes it go round again.
//
// The pool is unbound, so not concurrency-managed (nr_running stays 0): a
// queue_work wakes the first idle worker, and a worker that takes an item
// and leaves others on the worklist wakes the next (process_one_work's
// need_more_worker chaining).
//
// Departure: the kernel wakes a worker under the pool lock, with
// preemption off; a user-space holder could lose its CPU to the thread it
// wakes, so the wakes here follow the unlock.
//
// kFaithful = false is the deliberately broken variant: a hand-rolled
// serial item whose pending flag covers the run and is cleared only when the
// run ends, and no io counter. A notification during the run is dropped,
// and a request that lands after the run's last look at the ring waits for a
// notification that never comes.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "benchmarks/ioworker/ioworker.h"
#include "benchmarks/ioworker/socket_fifo.h"
#include "benchmarks/ioworker/wake.h"
#include "benchmarks/ioworker/workqueue.h"
#include "benchmarks/locks/profiled_lock.h"
#include "benchmarks/locks/pv_qspinlock.h"
#include "harness/measure/platform.h"

namespace lockbench::ioworker {

template <bool kFaithful>
class PerSocketItems {
 public:
  explicit PerSocketItems(const DispatchSetup& setup)
      : pool_lock_(kPoolLock, setup.threads),
        items_(static_cast<std::size_t>(setup.sockets)),
        fifo_(setup.sockets),
        idle_(setup.workers),
        wake_(static_cast<std::size_t>(setup.workers)) {}

  void setup_thread(int thread) { pool_lock_.setup_thread(thread); }

  void notify(int socket, ThreadContext& ctx) {
    Item& item = items_[static_cast<std::size_t>(socket)].value;
    // seq_cst, with the claim's clear of PENDING and the run's load of io:
    // queue_work's test_and_set_bit is fully ordered, and the kernel puts an
    // smp_mb after clearing PENDING (set_work_pool_and_clear_pending). A
    // notification whose exchange finds PENDING still set is then sure that
    // the run the set belongs to sees its io (else both could miss the
    // other). The increment also makes the requests it announces visible to
    // that run.
    if constexpr (kFaithful) item.io.fetch_add(1, std::memory_order_seq_cst);
    if (item.pending.exchange(true, std::memory_order_seq_cst)) return;  // already queued
    int wake = -1;
    {
      ProfiledGuard guard(pool_lock_, ctx);
      if (item.pwq.queue()) {  // else delayed until the running one completes
        fifo_.push(socket);
        wake = idle_.first();
      }
    }
    wake_up(wake);
  }

  int take(int worker, ThreadContext& ctx) {
    if (fifo_.empty()) return -1;  // still idle: a queue_work wakes it
    int socket, wake;
    {
      ProfiledGuard guard(pool_lock_, ctx);
      idle_.leave(worker);
      socket = take_next(worker, wake);
    }
    wake_up(wake);
    return socket;
  }

  template <typename Copy>
  std::uint64_t run(int socket, Copy copy) {
    Item& item = items_[static_cast<std::size_t>(socket)].value;
    if constexpr (!kFaithful) return copy();
    std::uint64_t copied = 0;
    // seq_cst: see notify. It also pairs with notify's increment: the
    // requests it announced.
    while (item.io.load(std::memory_order_seq_cst) > 0) {
      copied += copy();
      item.io.fetch_sub(1, std::memory_order_acq_rel);
    }
    return copied;
  }

  int finish_and_take(int worker, int socket, ThreadContext& ctx) {
    Item& item = items_[static_cast<std::size_t>(socket)].value;
    int next, wake;
    {
      ProfiledGuard guard(pool_lock_, ctx);
      if constexpr (!kFaithful) {
        item.pending.store(false, std::memory_order_release);  // only now: too late
      }
      if (item.pwq.complete()) fifo_.push(socket);  // it was queued while running
      next = take_next(worker, wake);
    }
    wake_up(wake);
    return next;
  }

  WakeChannel& channel(int worker) { return wake_[static_cast<std::size_t>(worker)]; }

  std::string check_quiescent() const {
    if (!fifo_.empty()) return "the pool's worklist is not empty";
    for (const auto& padded : items_) {
      const Item& item = padded.value;
      if (!item.pwq.idle() || item.pending.load(std::memory_order_relaxed) ||
          item.io.load(std::memory_order_relaxed) != 0) {
        return "a socket's work item is still queued, pending or counted in flight";
      }
    }
    return "";
  }

 private:
  struct Item {
    std::atomic<bool> pending{false};  // the work item's PENDING bit
    std::atomic<std::int64_t> io{0};   // sock_mapping.io
    PoolWorkqueue pwq{.max_active = 1};  // its ordered workqueue's, under the pool lock
  };

  // Under the pool lock: the worklist's first item, claimed, or -1 and the
  // worker goes idle; `wake` is the idle worker to wake because items are
  // left on the worklist (or -1).
  int take_next(int worker, int& wake) {
    wake = -1;
    if (fifo_.empty()) {
      idle_.enter(worker);
      return -1;
    }
    const int socket = fifo_.pop();
    // PENDING clears as the run starts, so a notification from here on
    // queues the item again. seq_cst: see notify.
    if constexpr (kFaithful) {
      items_[static_cast<std::size_t>(socket)].value.pending.store(false,
                                                                   std::memory_order_seq_cst);
    }
    if (!fifo_.empty()) wake = idle_.first();
    return socket;
  }

  void wake_up(int worker) {
    if (worker >= 0) channel(worker).notify();
  }

  ProfiledLock<PvQueuedSpinLock> pool_lock_;
  std::vector<Padded<Item>> items_;
  SocketFifo fifo_;                // the pool's worklist, under the pool lock
  IdleWorkers idle_;               // the pool's idle list, under the pool lock
  std::vector<WakeChannel> wake_;  // per worker
};

}  // namespace lockbench::ioworker
