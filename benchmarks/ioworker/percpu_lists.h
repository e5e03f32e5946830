// The percpu variant, the RFC's design: one ioworker per CPU, at most
// max_workers (MAX_IOWORKERS), each with its own list under its own lock;
// each socket bound to one worker when it connects (bind_sockets), so its
// copies stay on one CPU. Workers beyond max_workers get no socket. A
// worker finishes a socket and takes the next in one hold of its list's
// lock: the RFC's ioworker walks its list, re-locking after each socket to
// go on to the next.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/common/profiled_lock.h"
#include "benchmarks/common/pv_qspinlock.h"
#include "benchmarks/ioworker/ioworker.h"
#include "benchmarks/ioworker/wake.h"
#include "benchmarks/ioworker/work_list.h"

namespace lockbench::ioworker {

class PerCpuLists {
 public:
  explicit PerCpuLists(const DispatchSetup& setup) : worker_of_(bind_sockets(setup)) {
    for (int w = 0; w < setup.workers; ++w) {
      workers_.push_back(std::make_unique<Worker>(setup.sockets, setup.threads));
    }
  }

  void setup_thread(int thread) {
    for (auto& w : workers_) w->lock.setup_thread(thread);
  }

  void notify(int socket, ThreadContext& ctx) {
    Worker& w = of(worker_of_[static_cast<std::size_t>(socket)]);
    bool queued;
    {
      ProfiledGuard guard(w.lock, ctx);
      queued = w.list.notify(socket);
    }
    if (queued) w.wake.notify();
  }

  int take(int worker, ThreadContext& ctx) {
    Worker& w = of(worker);
    if (w.list.empty()) return -1;
    ProfiledGuard guard(w.lock, ctx);
    return w.list.take();
  }

  template <typename Copy>
  std::uint64_t run(int, Copy copy) {
    return copy();
  }

  int finish_and_take(int worker, int socket, ThreadContext& ctx) {
    Worker& w = of(worker);
    ProfiledGuard guard(w.lock, ctx);
    w.list.finish(socket);
    return w.list.take();
  }

  WakeChannel& channel(int worker) { return of(worker).wake; }

  std::string check_quiescent() const {
    for (const auto& w : workers_) {
      if (!w->list.quiescent()) return "a worker's list is not empty";
    }
    return "";
  }

 private:
  struct Worker {
    Worker(int sockets, int threads) : lock(kWorkLock, threads), list(sockets) {}
    ProfiledLock<PvQueuedSpinLock> lock;
    WorkList list;  // under lock
    WakeChannel wake;
  };

  Worker& of(int worker) { return *workers_[static_cast<std::size_t>(worker)]; }

  const std::vector<int> worker_of_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace lockbench::ioworker
