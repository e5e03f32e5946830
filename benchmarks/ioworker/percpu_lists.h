// The percpu variant, the RFC's design (seed 003, xen/pvcalls RFC patch
// 03/18): one ioworker per CPU, at most max_workers (MAX_IOWORKERS), each
// socket bound to one ioworker when it connects (bind_sockets), so its
// copies stay on one CPU. Workers beyond max_workers get no socket.
//
// Which locks: both. The seed's struct pvcalls_ioworker has its own list
// and lock (`wqs`, `spinlock_t lock`: "A spinlock is used for protecting
// the list") and a work item (`register_work`) on a workqueue allocated
// with alloc_workqueue("pvcalls_io", 0, 0): flags 0, a bound (per-CPU)
// workqueue ("the ioworkers are implemented as a cpu bound workqueue").
// So the ioworker is a work item that runs on its CPU's worker_pool, and
// queueing it goes through that pool's lock, besides the list's lock. What
// the event handler and the ioworker function did with these fields is not
// in the seed; they are modelled on the pattern the merged driver keeps one
// level down (per event: io++ and queue_work; the function loops while
// io > 0):
//
//   notify (the socket's event handler): under the ioworker's list lock, the
//           socket goes on its list; io++; queue_work_on(the ioworker's
//           CPU, register_work): if PENDING was clear, under that CPU's
//           pool lock, __queue_work's bookkeeping (workqueue.h) and the work
//           on the pool's worklist; the CPU's worker is woken if it is not
//           running the work (a bound pool is concurrency-managed: no wake
//           while its worker runs).
//   worker (the CPU's kworker): under the pool lock, claims register_work
//           (PENDING cleared); runs the ioworker function: while io > 0, a
//           pass over the list, taking one socket at a time under the list
//           lock, the finish of one and the take of the next in one hold
//           (the walk re-locks after each socket and goes on), then io--;
//           then, in one pool-lock hold, the completion bookkeeping and,
//           if register_work was queued again meanwhile, its next claim
//           (worker_thread's loop), else the worker goes idle.
//
// Departures: one kworker per CPU pool, standing for the worker thread
// itself (a bound pool may start another kworker when one sleeps; nothing
// here sleeps while running). The kernel wakes under the pool lock; the
// wake here follows the unlock (see PerSocketItems). The list keeps a
// handled socket's place as WorkList does (a notification during its
// handling puts it back at the tail when its handler finishes, not at
// once): the same order unless other sockets are notified meanwhile.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/ioworker/ioworker.h"
#include "benchmarks/ioworker/wake.h"
#include "benchmarks/ioworker/work_list.h"
#include "benchmarks/ioworker/workqueue.h"
#include "benchmarks/locks/profiled_lock.h"
#include "benchmarks/locks/pv_qspinlock.h"
#include "harness/measure/platform.h"

namespace lockbench::ioworker {

class PerCpuLists {
 public:
  // alloc_workqueue's max_active 0: WQ_DFL_ACTIVE. One work item per pool
  // never reaches it.
  static constexpr int kMaxActive = 256;

  explicit PerCpuLists(const DispatchSetup& setup) : worker_of_(bind_sockets(setup)) {
    for (int w = 0; w < setup.workers; ++w) {
      ioworkers_.push_back(std::make_unique<Ioworker>(setup.sockets, setup.threads));
    }
  }

  void setup_thread(int thread) {
    for (auto& iow : ioworkers_) {
      iow->list_lock.setup_thread(thread);
      iow->pool_lock.setup_thread(thread);
    }
  }

  void notify(int socket, ThreadContext& ctx) {
    Ioworker& iow = of(worker_of_[static_cast<std::size_t>(socket)]);
    {
      ProfiledGuard guard(iow.list_lock, ctx);
      iow.list.notify(socket);
    }
    // seq_cst: see PerSocketItems::notify (the same io and PENDING
    // pattern, one level up).
    iow.io.fetch_add(1, std::memory_order_seq_cst);
    if (iow.pending.exchange(true, std::memory_order_seq_cst)) return;  // already queued
    bool wake;
    {
      ProfiledGuard guard(iow.pool_lock, ctx);
      if (iow.pwq.queue()) iow.on_worklist.store(true, std::memory_order_relaxed);
      wake = !iow.running;  // __need_more_worker: the CPU's worker is not running
    }
    if (wake) iow.wake.notify();
  }

  int take(int worker, ThreadContext& ctx) {
    Ioworker& iow = of(worker);
    // Idle until register_work is queued (the peek stands for the wake).
    if (!iow.on_worklist.load(std::memory_order_relaxed)) return -1;
    {
      ProfiledGuard guard(iow.pool_lock, ctx);
      if (!claim(iow)) return -1;
    }
    if (const int socket = walk(iow, ctx); socket >= 0) return socket;
    return complete(iow, ctx);
  }

  template <typename Copy>
  std::uint64_t run(int, Copy copy) {
    return copy();
  }

  int finish_and_take(int worker, int socket, ThreadContext& ctx) {
    Ioworker& iow = of(worker);
    int next;
    {
      ProfiledGuard guard(iow.list_lock, ctx);
      iow.list.finish(socket);
      next = iow.list.take();
    }
    if (next >= 0) return next;
    iow.io.fetch_sub(1, std::memory_order_acq_rel);  // the pass is over
    if (next = walk(iow, ctx); next >= 0) return next;
    return complete(iow, ctx);
  }

  WakeChannel& channel(int worker) { return of(worker).wake; }

  std::string check_quiescent() const {
    for (const auto& iow : ioworkers_) {
      if (!iow->list.quiescent()) return "an ioworker's list is not empty";
      if (iow->io.load(std::memory_order_relaxed) != 0 ||
          iow->pending.load(std::memory_order_relaxed) ||
          iow->on_worklist.load(std::memory_order_relaxed) || iow->running || !iow->pwq.idle()) {
        return "an ioworker's work item is still queued, pending or counted in flight";
      }
    }
    return "";
  }

 private:
  struct Ioworker {
    Ioworker(int sockets, int threads)
        : list_lock(kWorkLock, threads), list(sockets), pool_lock(kPoolLock, threads) {}
    // struct pvcalls_ioworker: its list under its lock, its io counter and
    // its work item's PENDING bit.
    ProfiledLock<PvQueuedSpinLock> list_lock;
    WorkList list;  // under list_lock
    alignas(kCacheLine) std::atomic<std::int64_t> io{0};
    std::atomic<bool> pending{false};
    // Its CPU's worker_pool, under pool_lock: the worklist (register_work is
    // the only work on it here), whether the pool's worker is running the
    // work, and the pwq's counters.
    alignas(kCacheLine) ProfiledLock<PvQueuedSpinLock> pool_lock;
    std::atomic<bool> on_worklist{false};  // also read by the worker's peek
    bool running = false;
    PoolWorkqueue pwq{.max_active = kMaxActive};
    WakeChannel wake;  // the CPU's vCPU
  };

  Ioworker& of(int worker) { return *ioworkers_[static_cast<std::size_t>(worker)]; }

  // Under the pool lock: process_one_work's claim, if the work is queued.
  static bool claim(Ioworker& iow) {
    if (!iow.on_worklist.load(std::memory_order_relaxed)) return false;
    iow.on_worklist.store(false, std::memory_order_relaxed);
    iow.running = true;
    iow.pending.store(false, std::memory_order_seq_cst);  // see notify
    return true;
  }

  // The ioworker function, from the start of a pass: the next socket, or
  // -1 when the function returns (io is 0).
  int walk(Ioworker& iow, ThreadContext& ctx) {
    while (iow.io.load(std::memory_order_seq_cst) > 0) {
      int socket;
      {
        ProfiledGuard guard(iow.list_lock, ctx);
        socket = iow.list.take();
      }
      if (socket >= 0) return socket;
      iow.io.fetch_sub(1, std::memory_order_acq_rel);  // an empty pass
    }
    return -1;
  }

  // The function returned: completion and keep_working in one pool-lock
  // hold, and the function again each time the work was queued meanwhile.
  // The next socket, or -1 and the worker goes idle.
  int complete(Ioworker& iow, ThreadContext& ctx) {
    for (;;) {
      {
        ProfiledGuard guard(iow.pool_lock, ctx);
        iow.running = false;
        if (iow.pwq.complete()) iow.on_worklist.store(true, std::memory_order_relaxed);
        if (!claim(iow)) return -1;
      }
      if (const int socket = walk(iow, ctx); socket >= 0) return socket;
    }
  }

  const std::vector<int> worker_of_;
  std::vector<std::unique_ptr<Ioworker>> ioworkers_;
};

}  // namespace lockbench::ioworker
