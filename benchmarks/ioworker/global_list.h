// The global variant: one list of sockets with pending requests under one
// lock; any worker takes the next socket, so a socket moves between CPUs
// (and its data with it).
#pragma once

#include <cstdint>

#include "benchmarks/ioworker/ioworker.h"
#include "benchmarks/ioworker/wake.h"
#include "benchmarks/ioworker/work_list.h"

namespace lockbench::ioworker {

class GlobalList {
 public:
  explicit GlobalList(const DispatchSetup& setup) : list_(setup.sockets, setup.threads) {}

  void setup_thread(int thread) { list_.setup_thread(thread); }

  void notify(int socket, ThreadContext& ctx) {
    if (list_.notify(socket, ctx)) wake_.notify();
  }
  int take(int, ThreadContext& ctx) { return list_.take(ctx); }
  template <typename Copy>
  std::uint64_t run(int, Copy copy) {
    return copy();
  }
  void finish(int, int socket, ThreadContext& ctx) {
    if (list_.finish(socket, ctx)) wake_.notify();
  }
  WakeChannel& channel(int) { return wake_; }

 private:
  WorkList list_;
  WakeChannel wake_;
};

}  // namespace lockbench::ioworker
