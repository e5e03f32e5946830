// Maptrack before Xen 4.6: one LIFO free list for the whole domain under one
// spinlock ("performance is significantly limited by contention on the
// maptrack lock", commit dff515dfea). Every map and every unmap from every
// vCPU takes it. Lock: Xen's spinlock_t of the time, XenByteLock (the
// family's `lock` parameter, byte by default), or TicketLock (Xen 4.6 on),
// so that the lock's part can be told from the design's.
#pragma once

#include <string>

#include "benchmarks/locks/profiled_lock.h"
#include "benchmarks/maptrack/maptrack.h"

namespace lockbench::maptrack {

template <typename Lock>
class GlobalMaptrack {
 public:
  GlobalMaptrack(int vcpus, std::uint32_t max_frames, std::uint64_t /*steal_delay_ns*/)
      : entries_(max_frames), lock_(kMaptrackLock, vcpus) {}

  // The one free list is the domain's: nothing is any vCPU's own.
  void setup_vcpu(int) {}

  Got get(int, ThreadContext& ctx) {
    ProfiledGuard guard(lock_, ctx);
    Got got;
    if (head_ == kTail) {
      head_ = entries_.add_frame(0, kTail);
      if (head_ == kTail) return got;  // at the cap, all in use
      got.grew = true;
    }
    got.handle = head_;
    head_ = entries_[head_].ref.load(std::memory_order_relaxed);
    return got;
  }

  void put(std::uint32_t handle, ThreadContext& ctx) {
    ProfiledGuard guard(lock_, ctx);
    entries_[handle].ref.store(head_, std::memory_order_relaxed);
    head_ = handle;
  }

  Entries& entries() { return entries_; }
  const Entries& entries() const { return entries_; }
  // Free lists as (vCPU, head, tail); the global list belongs to no vCPU.
  template <typename Visit>
  void for_each_list(Visit&& visit) const {
    visit(-1, head_, kTail);
  }

 private:
  Entries entries_;
  ProfiledLock<Lock> lock_;
  std::uint32_t head_ = kTail;  // guarded by lock_
};

}  // namespace lockbench::maptrack
