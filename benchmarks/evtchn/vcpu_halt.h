// A guest vCPU's halt and the hypervisor's kick. A vCPU with nothing to do
// clears its evtchn_upcall_pending and blocks (SCHEDOP_block: unless events
// became pending meanwhile); a raise that makes events pending for it marks
// the upcall pending and, if the vCPU is blocked, wakes it (Xen's
// vcpu_mark_events_pending and vcpu_kick). The block also ends at the
// guest's timer tick. Departure: a running vCPU is not kicked; its
// upcall_pending stays set while it runs (the IPI that would re-enter the
// upcall is not modelled).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "harness/measure/futex.h"

namespace lockbench::evtchn {

class VcpuHalt {
 public:
  // The raise side, after the raise made events visible to the vCPU.
  // Returns whether it kicked the vCPU out of its halt.
  bool mark_events_pending() {
    // The fences here and in halt() pair (a store-buffering pattern): either
    // the vCPU about to block sees the events this raise made visible, or
    // this raise sees the vCPU blocked and kicks it.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (upcall_pending_.exchange(1, std::memory_order_seq_cst) != 0) return false;
    if (!blocked_.load(std::memory_order_seq_cst)) return false;
    futex_wake_one(upcall_pending_);
    return true;
  }

  // The vCPU side: blocks until kicked or `tick` passes, unless
  // has_events() finds work once the vCPU is marked blocked. Returns whether
  // it blocked.
  template <typename HasEvents>
  bool halt(HasEvents has_events, std::chrono::milliseconds tick) {
    upcall_pending_.store(0, std::memory_order_seq_cst);
    blocked_.store(true, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const bool blocks = !has_events();
    if (blocks) futex_wait_for(upcall_pending_, 0, tick);
    blocked_.store(false, std::memory_order_relaxed);
    return blocks;
  }

 private:
  std::atomic<std::uint32_t> upcall_pending_{0};
  std::atomic<bool> blocked_{false};
};

}  // namespace lockbench::evtchn
