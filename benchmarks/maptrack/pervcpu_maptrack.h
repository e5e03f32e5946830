// Per-vCPU maptrack free lists (Xen 4.6, commit dff515dfea, and what became
// of it). Each vCPU has the head and tail of its own free list, and the list
// never becomes empty: its last entry is a sentinel that get refuses to hand
// out, so a put always has a tail to link after.
//
//   get (owner): h = head; next = entry[h].ref; if h or next is TAIL, take the
//       slow path (add a frame under the grant lock); else head = next.
//   put (any vCPU): entry[h].ref = TAIL; swing the ORIGINAL owner's tail to h
//       by compare-and-swap (prev = old tail); entry[prev].ref = h (release).
//
// Designs:
//   lockfree        dff515dfea alone: owner-only pop, no stealing; at the
//                   frame cap a vCPU with an empty list gets nothing. (Xen
//                   4.6.0 shipped it together with e76ff6c156, committed 40 s
//                   later: lockfree_steal below. No release had this design
//                   without stealing; it is the per-vCPU lists' own effect.)
//   locked          today's Xen (XSA-228, 02cbeeb620; 4f1858763b): a per-vCPU
//                   free-list lock, uncontended except for remote puts and
//                   steals; at the cap a vCPU steals from other vCPUs' lists.
//   lockfree_steal  BROKEN (e76ff6c156, Xen 4.6-4.9, until XSA-228): stealing by
//                   compare-and-swap on the victim's head, so pop races with
//                   pop: a thief that read head A and next B, stalled while A
//                   was popped, freed and became head again, swings head to B
//                   although B is in use: B is handed out twice (ABA).
//                   steal_delay_ns widens the stall so the race is reachable.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "benchmarks/locks/lock_api.h"
#include "benchmarks/locks/profiled_lock.h"
#include "benchmarks/maptrack/maptrack.h"
#include "harness/measure/delay.h"
#include "harness/measure/thread_slots.h"

namespace lockbench::maptrack {

enum class Design { lockfree, locked, lockfree_steal };

template <Design kDesign>
class PerVcpuMaptrack {
  static constexpr bool kSteals = kDesign != Design::lockfree;
  static constexpr bool kLocked = kDesign == Design::locked;

 public:
  PerVcpuMaptrack(int vcpus, std::uint32_t max_frames, std::uint64_t steal_delay_ns)
      : entries_(max_frames),
        grant_lock_(kGrantLock, vcpus),
        steal_delay_(steal_delay_ns),
        vcpus_(static_cast<std::size_t>(vcpus)) {}

  // On vCPU v's own thread, before the team starts: its free list is first
  // touched there, as Xen's per-vCPU maptrack state is per vCPU.
  void setup_vcpu(int v) {
    vcpus_.make(static_cast<std::size_t>(v), static_cast<int>(vcpus_.size()));
  }

  Got get(int v, ThreadContext& ctx) {
    Got got;
    got.handle = pop(vcpu(v), false, ctx);
    if (got.handle != kTail) return got;
    {
      ProfiledGuard guard(grant_lock_, ctx);
      got.handle = grow(v, ctx);
    }
    if (got.handle != kTail) {
      got.grew = true;
    } else if (kSteals) {
      got.handle = steal(v, ctx);
      got.stole = got.handle != kTail;
    }
    return got;
  }

  void put(std::uint32_t handle, ThreadContext& ctx) {
    Vcpu& owner = vcpu(entries_[handle].owner.load(std::memory_order_relaxed));
    entries_[handle].ref.store(kTail, std::memory_order_relaxed);
    if constexpr (kLocked) {
      ProfiledGuard guard(owner.lock, ctx);
      const std::uint32_t prev = owner.tail.load(std::memory_order_relaxed);
      owner.tail.store(handle, std::memory_order_relaxed);
      entries_[prev].ref.store(handle, std::memory_order_relaxed);
    } else {
      // acq_rel: the TAIL stored in our entry is published with the tail
      // swing; the next put links after us only once it sees it.
      std::uint32_t prev = owner.tail.load(std::memory_order_relaxed);
      while (!owner.tail.compare_exchange_weak(prev, handle, std::memory_order_acq_rel,
                                               std::memory_order_relaxed)) {
      }
      // Release pairs with get's acquire load of ref: an owner that follows
      // the link sees our entry's TAIL.
      entries_[prev].ref.store(handle, std::memory_order_release);
    }
  }

  Entries& entries() { return entries_; }
  const Entries& entries() const { return entries_; }
  template <typename Visit>
  void for_each_list(Visit&& visit) const {
    for (std::size_t v = 0; v < vcpus_.size(); ++v) {
      const Vcpu& list = vcpus_[v].value;
      visit(static_cast<int>(v), list.head.load(std::memory_order_relaxed),
            list.tail.load(std::memory_order_relaxed));
    }
  }

 private:
  struct Vcpu {
    explicit Vcpu(int vcpus) : lock(kFreelistLock, vcpus) {}
    std::atomic<std::uint32_t> head{kTail};
    std::atomic<std::uint32_t> tail{kTail};
    ProfiledLock<> lock;  // the free-list lock (locked design only)
  };

  Vcpu& vcpu(int v) { return vcpus_[static_cast<std::size_t>(v)].value; }

  // Takes the head entry unless it is the sentinel (or the list is empty).
  std::uint32_t pop(Vcpu& list, bool thief, ThreadContext& ctx) {
    if constexpr (kLocked) {
      ProfiledGuard guard(list.lock, ctx);
      const std::uint32_t h = list.head.load(std::memory_order_relaxed);
      if (h == kTail) return kTail;
      const std::uint32_t next = entries_[h].ref.load(std::memory_order_relaxed);
      if (next == kTail) return kTail;
      list.head.store(next, std::memory_order_relaxed);
      return h;
    } else if constexpr (kDesign == Design::lockfree) {
      // Only the owner moves head, so a plain load and store do.
      const std::uint32_t h = list.head.load(std::memory_order_relaxed);
      if (h == kTail) return kTail;
      const std::uint32_t next = entries_[h].ref.load(std::memory_order_acquire);
      if (next == kTail) return kTail;
      list.head.store(next, std::memory_order_relaxed);
      return h;
    } else {
      for (;;) {
        std::uint32_t h = list.head.load(std::memory_order_acquire);
        if (h == kTail) return kTail;
        const std::uint32_t next = entries_[h].ref.load(std::memory_order_acquire);
        if (next == kTail) return kTail;
        if (thief) steal_delay_.run();  // the stall that lets A come round again
        if (list.head.compare_exchange_strong(h, next, std::memory_order_acq_rel)) return h;
      }
    }
  }

  // Slow path, grant lock held: a new frame chained in front of the list.
  std::uint32_t grow(int v, ThreadContext& ctx) {
    Vcpu& list = vcpu(v);
    if constexpr (kLocked) {
      ProfiledGuard guard(list.lock, ctx);
      return link_frame(v, list);
    } else {
      return link_frame(v, list);
    }
  }

  std::uint32_t link_frame(int v, Vcpu& list) {
    const std::uint32_t old_head = list.head.load(std::memory_order_relaxed);
    const std::uint32_t base = entries_.add_frame(v, old_head);
    if (base == kTail) return kTail;
    if (list.tail.load(std::memory_order_relaxed) == kTail) {
      list.tail.store(base + kPerFrame - 1, std::memory_order_release);  // first frame
    }
    list.head.store(base + 1, std::memory_order_release);
    return base;  // the frame's first entry is handed out at once
  }

  // At the cap: take a free entry from another vCPU, which becomes ours. A
  // vCPU without a list first keeps one stolen entry as its sentinel, set up
  // under its free-list lock as Xen's get_maptrack_handle does: a remote
  // put may be linking onto this list at the same moment.
  std::uint32_t steal(int v, ThreadContext& ctx) {
    const int n = static_cast<int>(vcpus_.size());
    const int start = static_cast<int>(ctx.rng.next() % static_cast<std::uint64_t>(n));
    Vcpu& list = vcpu(v);
    for (int i = 0; i < n; ++i) {
      const int victim = (start + i) % n;
      if (victim == v) continue;
      const std::uint32_t h = pop(vcpu(victim), true, ctx);
      if (h == kTail) continue;
      entries_[h].owner.store(v, std::memory_order_relaxed);
      if (list.tail.load(std::memory_order_relaxed) != kTail) return h;
      if constexpr (kLocked) {
        ProfiledGuard guard(list.lock, ctx);
        install_sentinel(list, h);
      } else {
        install_sentinel(list, h);
      }
      --i;  // steal again from the same victim, for the caller
    }
    return kTail;
  }

  // h becomes the whole free list of a vCPU that had none: its TAIL entry,
  // and its head unless something was put there meanwhile.
  void install_sentinel(Vcpu& list, std::uint32_t h) {
    entries_[h].ref.store(kTail, std::memory_order_relaxed);
    if (list.head.load(std::memory_order_relaxed) == kTail) {
      list.head.store(h, std::memory_order_relaxed);
    }
    list.tail.store(h, std::memory_order_release);
  }

  Entries entries_;
  ProfiledLock<> grant_lock_;
  const Delay steal_delay_;
  ThreadSlots<Vcpu> vcpus_;
};

}  // namespace lockbench::maptrack
