// A list of sockets with pending requests, under its owner's lock: the RFC's
// per-ioworker `wqs` list, and the global variant's one list. A socket is on
// the list at most once, and handled by one worker at a time: a
// notification for a socket being handled marks it to be queued again when
// its handler finishes, at the tail, behind the others. The owner holds its
// lock around every call but empty().
#pragma once

#include <cstdint>
#include <vector>

#include "benchmarks/ioworker/socket_fifo.h"

namespace lockbench::ioworker {

class WorkList {
 public:
  explicit WorkList(int sockets)
      : fifo_(sockets), state_(static_cast<std::size_t>(sockets), kIdle) {}

  // Without the lock: an idle worker's look at list_empty().
  bool empty() const { return fifo_.empty(); }

  // A notification. Returns whether the socket was queued now.
  bool notify(int socket) {
    std::uint8_t& state = state_[static_cast<std::size_t>(socket)];
    if (state == kRunning) state = kRunningAgain;
    if (state != kIdle) return false;
    state = kQueued;
    fifo_.push(socket);
    return true;
  }

  // The next socket to handle, or -1.
  int take() {
    if (fifo_.empty()) return -1;
    const int socket = fifo_.pop();
    state_[static_cast<std::size_t>(socket)] = kRunning;
    return socket;
  }

  // Its handler is done; the socket goes back on the list if it was
  // notified meanwhile.
  void finish(int socket) {
    std::uint8_t& state = state_[static_cast<std::size_t>(socket)];
    if (state != kRunningAgain) {
      state = kIdle;
      return;
    }
    state = kQueued;
    fifo_.push(socket);
  }

  // At quiescence: nothing queued or being handled.
  bool quiescent() const {
    if (!fifo_.empty()) return false;
    for (const std::uint8_t state : state_) {
      if (state != kIdle) return false;
    }
    return true;
  }

 private:
  enum : std::uint8_t { kIdle, kQueued, kRunning, kRunningAgain };

  SocketFifo fifo_;
  std::vector<std::uint8_t> state_;  // per socket
};

}  // namespace lockbench::ioworker
