// A first-in first-out list of socket ids, each on it at most once (so it
// never fills), changed under its owner's lock. Its size is also read
// without the lock, by idle workers peeking whether there is anything to
// take (as a kernel worker checks list_empty()).
#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

namespace lockbench::ioworker {

class SocketFifo {
 public:
  explicit SocketFifo(int sockets) : ids_(static_cast<std::size_t>(sockets)) {}

  bool empty() const { return size_.load(std::memory_order_relaxed) == 0; }

  // Under the owner's lock.
  void push(int socket) {
    const std::size_t size = size_.load(std::memory_order_relaxed);
    ids_[(head_ + size) % ids_.size()] = socket;
    size_.store(size + 1, std::memory_order_relaxed);
  }
  int pop() {  // not empty
    const int socket = ids_[head_];
    head_ = (head_ + 1) % ids_.size();
    size_.store(size_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    return socket;
  }

 private:
  std::vector<int> ids_;
  std::size_t head_ = 0;
  std::atomic<std::size_t> size_{0};
};

}  // namespace lockbench::ioworker
