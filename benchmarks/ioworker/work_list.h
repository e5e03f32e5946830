// A list of sockets with pending requests under one lock: the RFC's
// per-ioworker `wqs` list (and, alone, the global variant's only list). A
// socket is on the list at most once, and handled by one worker at a time:
// a notification for a socket being handled marks it to be queued again when
// its handler finishes, at the tail, behind the others.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "benchmarks/common/profiled_lock.h"
#include "benchmarks/common/pv_qspinlock.h"
#include "benchmarks/ioworker/ioworker.h"
#include "benchmarks/ioworker/socket_fifo.h"

namespace lockbench::ioworker {

class WorkList {
 public:
  WorkList(int sockets, int threads)
      : lock_(kWorkLock, threads),
        fifo_(sockets),
        state_(static_cast<std::size_t>(sockets), kIdle) {}

  void setup_thread(int thread) { lock_.setup_thread(thread); }

  // The frontend's notification. Returns whether the socket was queued now
  // (a worker should be woken).
  bool notify(int socket, ThreadContext& ctx) {
    ProfiledGuard guard(lock_, ctx);
    std::uint8_t& state = state_[static_cast<std::size_t>(socket)];
    if (state == kRunning) state = kRunningAgain;
    if (state != kIdle) return false;
    state = kQueued;
    fifo_.push(socket);
    return true;
  }

  // The next socket to handle, or -1. Peeks without the lock first, as a
  // worker checks list_empty() before taking it.
  int take(ThreadContext& ctx) {
    if (fifo_.empty()) return -1;
    ProfiledGuard guard(lock_, ctx);
    if (fifo_.empty()) return -1;
    const int socket = fifo_.pop();
    state_[static_cast<std::size_t>(socket)] = kRunning;
    return socket;
  }

  // The handler is done. Returns whether the socket was queued again.
  bool finish(int socket, ThreadContext& ctx) {
    ProfiledGuard guard(lock_, ctx);
    std::uint8_t& state = state_[static_cast<std::size_t>(socket)];
    if (state != kRunningAgain) {
      state = kIdle;
      return false;
    }
    state = kQueued;
    fifo_.push(socket);
    return true;
  }

 private:
  enum : std::uint8_t { kIdle, kQueued, kRunning, kRunningAgain };

  ProfiledLock<PvQueuedSpinLock> lock_;
  SocketFifo fifo_;
  std::vector<std::uint8_t> state_;  // per socket, under the lock
};

}  // namespace lockbench::ioworker
