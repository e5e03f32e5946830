// The persocket variant, as Linux merged the pvcalls backend: each socket a
// serial work item (its own ordered workqueue) on a shared pool of workers
// (an unbound pool: one worklist under the pool lock), with the socket's `io`
// counter (pvcalls_back_ioworker):
//
//   notify: io++; queue_work: if the item's PENDING bit was clear, set it and
//           put the item on the pool's list, or, if it is running, aside
//           until that run ends (an ordered workqueue runs one at a time).
//   run:    a worker takes an item off the list and clears its PENDING bit
//           as it starts (a notification during the run queues it again);
//           the item drains its ring while io > 0, taking one off per pass,
//           so a notification during a pass makes it go round again.
//
// kFaithful = false is the deliberately broken variant: a hand-rolled
// serial item whose pending flag covers the run and is cleared only when the
// run ends, and no io counter. A notification during the run is dropped,
// and a request that lands after the run's last look at the ring waits for a
// notification that never comes.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "benchmarks/common/profiled_lock.h"
#include "benchmarks/common/pv_qspinlock.h"
#include "benchmarks/ioworker/ioworker.h"
#include "benchmarks/ioworker/socket_fifo.h"
#include "benchmarks/ioworker/wake.h"
#include "harness/runner/platform.h"

namespace lockbench::ioworker {

template <bool kFaithful>
class PerSocketItems {
 public:
  explicit PerSocketItems(const DispatchSetup& setup)
      : pool_lock_(kWorkLock, setup.threads),
        items_(static_cast<std::size_t>(setup.sockets)),
        fifo_(setup.sockets) {}

  void setup_thread(int thread) { pool_lock_.setup_thread(thread); }

  void notify(int socket, ThreadContext& ctx) {
    Item& item = items_[static_cast<std::size_t>(socket)].value;
    // acq_rel: the requests written before the notification are visible to
    // the run that takes this io (its acquire load), and the PENDING test
    // orders after it.
    if constexpr (kFaithful) item.io.fetch_add(1, std::memory_order_acq_rel);
    if (item.pending.exchange(true, std::memory_order_acq_rel)) return;  // already queued
    if (queue_work(socket, item, ctx)) wake_.notify();
  }

  int take(int, ThreadContext& ctx) {
    if (fifo_.empty()) return -1;
    ProfiledGuard guard(pool_lock_, ctx);
    if (fifo_.empty()) return -1;
    const int socket = fifo_.pop();
    Item& item = items_[static_cast<std::size_t>(socket)].value;
    item.running = true;
    // PENDING clears as the run starts, so a notification from here on
    // queues the item again.
    if constexpr (kFaithful) item.pending.store(false, std::memory_order_release);
    return socket;
  }

  template <typename Copy>
  std::uint64_t run(int socket, Copy copy) {
    Item& item = items_[static_cast<std::size_t>(socket)].value;
    if constexpr (!kFaithful) return copy();
    std::uint64_t copied = 0;
    // Acquire pairs with notify's increment: the requests it announced.
    while (item.io.load(std::memory_order_acquire) > 0) {
      copied += copy();
      item.io.fetch_sub(1, std::memory_order_acq_rel);
    }
    return copied;
  }

  void finish(int, int socket, ThreadContext& ctx) {
    Item& item = items_[static_cast<std::size_t>(socket)].value;
    if (end_run(socket, item, ctx)) wake_.notify();
  }

  WakeChannel& channel(int) { return wake_; }

 private:
  struct Item {
    std::atomic<bool> pending{false};  // the work item's PENDING bit
    std::atomic<std::int64_t> io{0};   // sock_mapping.io
    bool running = false;              // under the pool lock
    bool set_aside = false;            // queued while running: under the pool lock
  };

  // The pool-lock halves of notify and finish; true when the item went on
  // the list, and a worker should be woken. The kernel wakes a worker under
  // the pool lock, with preemption off; a user-space holder could lose its
  // CPU to the thread it wakes, so the wake here follows the unlock.
  bool queue_work(int socket, Item& item, ThreadContext& ctx) {
    ProfiledGuard guard(pool_lock_, ctx);
    if (kFaithful && item.running) {
      item.set_aside = true;  // runs again when the current run ends
      return false;
    }
    fifo_.push(socket);
    return true;
  }
  bool end_run(int socket, Item& item, ThreadContext& ctx) {
    ProfiledGuard guard(pool_lock_, ctx);
    item.running = false;
    if constexpr (!kFaithful) {
      item.pending.store(false, std::memory_order_release);  // only now: too late
      return false;
    }
    if (!item.set_aside) return false;
    item.set_aside = false;
    fifo_.push(socket);
    return true;
  }

  ProfiledLock<PvQueuedSpinLock> pool_lock_;
  std::vector<Padded<Item>> items_;
  SocketFifo fifo_;  // the pool's worklist, under the pool lock
  WakeChannel wake_;
};

}  // namespace lockbench::ioworker
