// The way a handle reaches the vCPU that unmaps it: a bounded
// single-producer single-consumer ring per (sender, receiver) pair, so the
// hand-off adds no shared hot spot of its own beside the free lists it
// feeds. Harness plumbing, not modelled: in Xen the unmapping vCPU is simply
// wherever the guest's unmap hypercall runs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "harness/measure/platform.h"

namespace lockbench::maptrack {

class HandOffRing {
 public:
  // Holds capacity - 1 handles (one slot tells full from empty).
  explicit HandOffRing(std::size_t capacity) : slots_(capacity) {}

  // The sender's side; false when the ring is full.
  bool push(std::uint32_t handle) {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    const std::size_t next = (tail + 1) % slots_.size();
    if (next == head_.load(std::memory_order_acquire)) return false;  // full
    slots_[tail] = handle;
    tail_.store(next, std::memory_order_release);  // publishes the slot
    return true;
  }

  // The receiver's side; false when the ring is empty.
  bool pop(std::uint32_t& handle) {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_.load(std::memory_order_acquire)) return false;
    handle = slots_[head];
    head_.store((head + 1) % slots_.size(), std::memory_order_release);  // frees the slot
    return true;
  }

 private:
  std::vector<std::uint32_t> slots_;
  // Each index on its own line: the receiver writes head_, the sender tail_.
  alignas(kCacheLine) std::atomic<std::size_t> head_{0};
  alignas(kCacheLine) std::atomic<std::size_t> tail_{0};
};

}  // namespace lockbench::maptrack
