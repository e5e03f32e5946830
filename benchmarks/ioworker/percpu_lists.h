// The percpu variant, the RFC's design: one ioworker per CPU, at most
// max_workers (MAX_IOWORKERS), each with its own list under its own lock;
// each socket bound to one worker when it connects (bind_sockets), so its
// copies stay on one CPU. Workers beyond max_workers get no socket.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "benchmarks/ioworker/ioworker.h"
#include "benchmarks/ioworker/wake.h"
#include "benchmarks/ioworker/work_list.h"

namespace lockbench::ioworker {

class PerCpuLists {
 public:
  explicit PerCpuLists(const DispatchSetup& setup)
      : worker_of_(bind_sockets(setup)), workers_(static_cast<std::size_t>(setup.workers)) {
    for (Worker& w : workers_) w.list = std::make_unique<WorkList>(setup.sockets, setup.threads);
  }

  void setup_thread(int thread) {
    for (Worker& w : workers_) w.list->setup_thread(thread);
  }

  void notify(int socket, ThreadContext& ctx) {
    Worker& w = workers_[static_cast<std::size_t>(worker_of_[static_cast<std::size_t>(socket)])];
    if (w.list->notify(socket, ctx)) w.wake.notify();
  }
  int take(int worker, ThreadContext& ctx) {
    return workers_[static_cast<std::size_t>(worker)].list->take(ctx);
  }
  template <typename Copy>
  std::uint64_t run(int, Copy copy) {
    return copy();
  }
  void finish(int worker, int socket, ThreadContext& ctx) {
    Worker& w = workers_[static_cast<std::size_t>(worker)];
    if (w.list->finish(socket, ctx)) w.wake.notify();
  }
  WakeChannel& channel(int worker) { return workers_[static_cast<std::size_t>(worker)].wake; }

 private:
  struct Worker {
    std::unique_ptr<WorkList> list;
    WakeChannel wake;
  };
  const std::vector<int> worker_of_;
  std::vector<Worker> workers_;
};

}  // namespace lockbench::ioworker
