// The global variant: one list of sockets with pending requests under one
// lock; any worker takes the next socket, so a socket moves between CPUs
// (and its data with it). It stands for the review's "fewer workers" on one
// shared list: the workers are kernel threads (no workqueue pool under the
// list, so no pool lock), run as an unbound pool's workers would be:
//   - a worker finishes a socket and takes the next in one hold of the list
//     lock, as the RFC's ioworker walked its list (re-lock after a socket,
//     take the next) and as worker_thread does on its pool;
//   - a worker that finds the list empty goes idle in that same hold; a
//     notification that queues a socket wakes the first idle worker, and a
//     worker that takes a socket and leaves more behind wakes the next one
//     (an unbound pool's process_one_work chaining).
// The wakes follow the unlock (see PerSocketItems::notify).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "benchmarks/ioworker/ioworker.h"
#include "benchmarks/ioworker/wake.h"
#include "benchmarks/ioworker/work_list.h"
#include "benchmarks/locks/profiled_lock.h"
#include "benchmarks/locks/pv_qspinlock.h"

namespace lockbench::ioworker {

class GlobalList {
 public:
  explicit GlobalList(const DispatchSetup& setup)
      : lock_(kWorkLock, setup.threads),
        list_(setup.sockets),
        idle_(setup.workers),
        wake_(static_cast<std::size_t>(setup.workers)) {}

  void setup_thread(int thread) { lock_.setup_thread(thread); }

  void notify(int socket, ThreadContext& ctx) {
    int wake = -1;
    {
      ProfiledGuard guard(lock_, ctx);
      if (list_.notify(socket)) wake = idle_.first();
    }
    wake_up(wake);
  }

  int take(int worker, ThreadContext& ctx) {
    if (list_.empty()) return -1;  // still idle: a notification wakes it
    int socket, wake;
    {
      ProfiledGuard guard(lock_, ctx);
      idle_.leave(worker);
      socket = take_next(worker, wake);
    }
    wake_up(wake);
    return socket;
  }

  template <typename Copy>
  std::uint64_t run(int, Copy copy) {
    return copy();
  }

  int finish_and_take(int worker, int socket, ThreadContext& ctx) {
    int next, wake;
    {
      ProfiledGuard guard(lock_, ctx);
      list_.finish(socket);
      next = take_next(worker, wake);
    }
    wake_up(wake);
    return next;
  }

  WakeChannel& channel(int worker) { return wake_[static_cast<std::size_t>(worker)]; }

  std::string check_quiescent() const {
    return list_.quiescent() ? "" : "the global list is not empty";
  }

 private:
  // Under the lock: the next socket, or -1 and the worker goes idle; `wake`
  // is the worker to wake because sockets are left on the list (or -1).
  int take_next(int worker, int& wake) {
    wake = -1;
    const int socket = list_.take();
    if (socket < 0) {
      idle_.enter(worker);
    } else if (!list_.empty()) {
      wake = idle_.first();
    }
    return socket;
  }

  void wake_up(int worker) {
    if (worker >= 0) channel(worker).notify();
  }

  ProfiledLock<PvQueuedSpinLock> lock_;
  WorkList list_;                  // under lock_
  IdleWorkers idle_;               // under lock_
  std::vector<WakeChannel> wake_;  // per worker
};

}  // namespace lockbench::ioworker
