// The maptrack family's workload. Threads are the vCPUs of a mapping domain
// (dom0 netback): each maps (get) and unmaps (put), holding up to `inflight`
// handles, oldest unmapped first. remote_pct of unmaps happen on another vCPU:
// the handle goes through a ring per (sender, receiver) pair
// (handoff_ring.h), and the receiver puts it (to the handle's original
// owner's list). A receiver looks at its rings only when a sender has raised
// its has-mail flag, so with no remote unmaps the hand-off costs one load of
// a line nobody else writes. Odd vCPUs work uneven_ns between steps, so even
// ones map more.
//
// Invariants checked at quiescence, after every vCPU has put everything back
// (what INV1 and INV2 count inside the window compiles out with the checks:
// harness/measure/checks.h):
//   INV1 no handle is live twice: a get finds the entry's flags clear (a
//        relaxed load before the store the map makes anyway: seen with high
//        probability each time; a handle handed out twice also breaks the
//        free lists, which INV3 walks);
//   INV2 every handle is put exactly once: a put finds the flags set, and no
//        entry is still mapped at the end;
//   INV3 free + live = all entries: the free lists hold every entry of every
//        allocated frame, each chain runs from head to tail and ends in TAIL
//        with no cycle;
//   INV4 every free entry is owned by the vCPU whose list it is on.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/locks/lock_api.h"
#include "benchmarks/maptrack/handoff_ring.h"
#include "benchmarks/maptrack/maptrack.h"
#include "harness/measure/checks.h"
#include "harness/measure/delay.h"
#include "harness/measure/family.h"
#include "harness/measure/thread_slots.h"

namespace lockbench::maptrack {

enum Counter : int { kGrowths, kSteals, kRemotePuts, kExhausted, kCounters };

struct WorkloadSetup {
  int inflight = 16;
  double remote_pct = 0;
  std::uint32_t max_frames = 1024;
  std::uint64_t uneven_ns = 0;
  std::uint64_t steal_delay_ns = 0;
};

template <typename Impl>
class MaptrackWorkload final : public LoopedWorkload<MaptrackWorkload<Impl>> {
 public:
  MaptrackWorkload(const WorkloadSetup& setup, int vcpus)
      : setup_(setup),
        vcpus_(vcpus),
        uneven_(setup.uneven_ns),
        impl_(vcpus, setup.max_frames, setup.steal_delay_ns),
        per_thread_(static_cast<std::size_t>(vcpus)),
        mail_(static_cast<std::size_t>(vcpus)),
        handoffs_(static_cast<std::size_t>(vcpus) * static_cast<std::size_t>(vcpus)) {}

  // A vCPU makes its record, its free list and its inbound rings.
  void setup_thread(ThreadContext& ctx) override {
    per_thread_.make_for(ctx);
    impl_.setup_vcpu(ctx.index);
    for (int from = 0; from < vcpus_; ++from) {
      handoffs_[static_cast<std::size_t>(from * vcpus_ + ctx.index)] =
          std::make_unique<HandOffRing>(static_cast<std::size_t>(setup_.inflight) + 1);
    }
  }

  std::uint64_t operation(ThreadContext& ctx) {
    const int v = ctx.index;
    PerThread& state = per_thread_.of(ctx);
    std::uint64_t pairs = receive(v, ctx);
    if (static_cast<int>(state.held.size()) < setup_.inflight) {
      if (!map(v, state, ctx) && !state.held.empty()) pairs += unmap(v, state, ctx);
    } else {
      pairs += unmap(v, state, ctx);
    }
    if (v % 2 == 1) uneven_.run();
    return pairs;
  }

  void drain(ThreadContext& ctx) override {
    PerThread& state = per_thread_.of(ctx);
    while (!state.held.empty()) {
      put(state.held.front(), ctx);
      state.held.pop_front();
    }
    receive(ctx.index, ctx);
  }

  std::string check_invariants(const std::vector<ThreadContext*>&) override {
    std::uint64_t double_gets = 0, double_puts = 0;
    for (const auto& slot : per_thread_) {
      double_gets += slot.value.double_gets;
      double_puts += slot.value.double_puts;
    }
    if (double_gets)
      return "INV1 " + std::to_string(double_gets) + " handles were handed out while live";
    if (double_puts)
      return "INV2 " + std::to_string(double_puts) + " puts of a handle that was not live";
    const Entries& entries = impl_.entries();
    for (std::uint32_t h = 0; h < entries.frames() * kPerFrame; ++h) {
      if (entries[h].flags.load(std::memory_order_relaxed) != 0) {
        return "INV2 handle " + std::to_string(h) + " was never put back";
      }
    }
    return check_free_lists();
  }

 private:
  struct PerThread {
    std::deque<std::uint32_t> held;
    std::uint64_t double_gets = 0;  // warm-up and drain included
    std::uint64_t double_puts = 0;
  };

  bool map(int v, PerThread& state, ThreadContext& ctx) {
    const bool timed = ctx.sample_now();
    const std::uint64_t t0 = timed ? cycle_clock() : 0;
    const Got got = impl_.get(v, ctx);
    if (timed) ctx.record_latency(ticks_to_ns(cycle_clock() - t0));
    ctx.count(kGrowths, got.grew);
    ctx.count(kSteals, got.stole);
    if (got.handle == kTail) {
      ctx.count(kExhausted);
      return false;
    }
    // Relaxed: whoever puts this handle got it from this vCPU through its
    // held list or a hand-off ring, which order the store before the put.
    std::atomic<std::uint32_t>& flags = impl_.entries()[got.handle].flags;
    // Counted behind a branch: a sound get writes nothing into the record.
    if (kChecks && flags.load(std::memory_order_relaxed) != 0) ++state.double_gets;
    flags.store(1, std::memory_order_relaxed);
    state.held.push_back(got.handle);
    return true;
  }

  // Unmaps the oldest handle here or hands it to another vCPU.
  std::uint64_t unmap(int v, PerThread& state, ThreadContext& ctx) {
    const std::uint32_t h = state.held.front();
    state.held.pop_front();
    if (vcpus_ > 1 && ctx.rng.chance(setup_.remote_pct)) {
      const int to = (v + 1 + static_cast<int>(ctx.rng.next() % (vcpus_ - 1))) % vcpus_;
      if (handoff(v, to).push(h)) {
        // Release, and a store even when the flag is up already: the
        // receiver's exchange must synchronise with a store made after this
        // push, or it could take the flag and miss the handle.
        mail_[static_cast<std::size_t>(to)].value.store(true, std::memory_order_release);
        return 0;  // the receiver completes the pair
      }
    }
    put(h, ctx);
    return 1;
  }

  std::uint64_t receive(int v, ThreadContext& ctx) {
    // Taken before the scan: a handle pushed after the scan raises it again.
    std::atomic<bool>& flag = mail_[static_cast<std::size_t>(v)].value;
    if (!flag.load(std::memory_order_relaxed) || !flag.exchange(false, std::memory_order_acquire)) {
      return 0;
    }
    std::uint64_t pairs = 0;
    for (int from = 0; from < vcpus_; ++from) {
      std::uint32_t h;
      while (from != v && handoff(from, v).pop(h)) {
        put(h, ctx);
        ctx.count(kRemotePuts);
        ++pairs;
      }
    }
    return pairs;
  }

  void put(std::uint32_t h, ThreadContext& ctx) {
    std::atomic<std::uint32_t>& flags = impl_.entries()[h].flags;
    if (kChecks && flags.load(std::memory_order_relaxed) == 0) ++per_thread_.of(ctx).double_puts;
    flags.store(0, std::memory_order_relaxed);
    impl_.put(h, ctx);
  }

  HandOffRing& handoff(int from, int to) {
    return *handoffs_[static_cast<std::size_t>(from * vcpus_ + to)];
  }

  // INV3 and INV4, single-threaded at quiescence.
  std::string check_free_lists() {
    const Entries& entries = impl_.entries();
    const std::uint64_t all = std::uint64_t{entries.frames()} * kPerFrame;
    std::vector<bool> seen(all, false);
    std::uint64_t free = 0;
    std::string error;
    impl_.for_each_list([&](int owner, std::uint32_t head, std::uint32_t tail) {
      if (!error.empty() || head == kTail) {
        if (error.empty() && tail != kTail)
          error = "INV3 list of vCPU " + std::to_string(owner) + " has a tail but no head";
        return;
      }
      std::uint32_t last = kTail;
      for (std::uint32_t h = head; h != kTail; h = entries[h].ref.load(std::memory_order_relaxed)) {
        if (h >= all || seen[h]) {
          error = "INV3 the free list of vCPU " + std::to_string(owner) +
                  " has a cycle or a bad entry at " + std::to_string(h);
          return;
        }
        seen[h] = true;
        ++free;
        if (owner >= 0 && entries[h].owner.load(std::memory_order_relaxed) != owner) {
          error = "INV4 free entry " + std::to_string(h) + " is on the list of vCPU " +
                  std::to_string(owner) + " but owned by vCPU " +
                  std::to_string(entries[h].owner.load(std::memory_order_relaxed));
          return;
        }
        last = h;
      }
      if (owner >= 0 && last != tail) {
        error = "INV3 the free list of vCPU " + std::to_string(owner) + " ends at " +
                std::to_string(last) + " but its tail is " + std::to_string(tail);
      }
    });
    if (!error.empty()) return error;
    if (free != all) {
      return "INV3 free + live != all: " + std::to_string(free) + " entries are free of " +
             std::to_string(all) + " and none is live";
    }
    return "";
  }

  const WorkloadSetup setup_;
  const int vcpus_;
  const Delay uneven_;
  Impl impl_;
  ThreadSlots<PerThread> per_thread_;
  std::vector<Padded<std::atomic<bool>>> mail_;  // per receiver: has mail
  std::vector<std::unique_ptr<HandOffRing>> handoffs_;  // made by their receivers
};

}  // namespace lockbench::maptrack
