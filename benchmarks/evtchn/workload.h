// The evtchn family's workload. Consumers (role 0) are guest vCPUs, each
// draining the queues of the ports bound to it; producers (role 1) are the
// hypervisor raising events on behalf of backend CPUs. Producer i raises
// random ports bound to consumer (i / fanin) % consumers, so `fanin`
// producers share each target queue set. With mask_pct a consumer masks or
// unmasks one of its ports now and then; unmasking links a port that became
// pending while masked.
//
// Idle vCPUs halt, as guests do: a consumer that has found nothing to handle
// for halt_poll_ns halts (vcpu_halt.h, with a 1 ms timer tick), and the raise
// that sets a READY (selector) bit kicks it.
//
// Invariants checked at quiescence (every port unmasked and every queue
// drained first):
//   INV1 every PENDING 0->1 raise is handled exactly once, masked ones once
//        unmasked (handled == raises that set PENDING, per port);
//   INV2 per queue, events are consumed in the order they were linked (FIFO
//        variants), checked on the consumer's sampled passes: their link
//        sequence numbers only increase (reading the number on every pass
//        pulled the producers' line to the consumer on every event, 12% of a
//        2-thread point; an event lost between two samples is INV1's);
//   INV3 a masked event is never handled;
//   INV4 nothing is left pending or linked.
// INV1-INV3 are counted inside the window and compile out with the checks
// (harness/measure/checks.h); INV4 is judged at quiescence.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "benchmarks/evtchn/events.h"
#include "benchmarks/evtchn/vcpu_halt.h"
#include "benchmarks/locks/lock_api.h"
#include "harness/measure/checks.h"
#include "harness/measure/delay.h"
#include "harness/measure/family.h"
#include "harness/measure/histogram.h"
#include "harness/measure/thread_slots.h"

namespace lockbench::evtchn {

enum Counter : int {
  kRaised,
  kCoalesced,
  kMaskedRaises,
  kDeliveredTopPriority,
  kBlocks,
  kKicks,
  kCounters
};

struct WorkloadSetup {
  std::uint32_t ports = 64;  // a multiple of the consumer vCPUs
  int priorities = 2;
  int fanin = 1;
  double mask_pct = 0;
  std::uint64_t handler_ns = 0;
  std::uint64_t halt_poll_ns = 0;
};

template <typename Impl>
class EventWorkload final : public LoopedWorkload<EventWorkload<Impl>> {
 public:
  EventWorkload(const WorkloadSetup& setup, const std::vector<int>& roles)
      : setup_(setup),
        handler_(setup.handler_ns),
        thread_to_vcpu_(roles.size(), -1),
        target_of_(roles.size(), -1),
        binding_(static_cast<int>(std::count(roles.begin(), roles.end(), 0)), setup.priorities,
                 setup.ports),
        impl_(binding_, setup.ports, static_cast<int>(roles.size())),
        stamps_(setup.ports),
        per_thread_(roles.size()),
        halts_(static_cast<std::size_t>(binding_.vcpus)) {
    int vcpu = 0, producer = 0;
    for (std::size_t i = 0; i < roles.size(); ++i) {
      thread_to_vcpu_[i] = roles[i] == 0 ? vcpu++ : -1;
      if (roles[i] != 0) target_of_[i] = (producer++ / setup.fanin) % binding_.vcpus;
    }
    for (int v = 0; v < binding_.vcpus; ++v) {
      queues_seen_.emplace_back(static_cast<std::size_t>(setup.priorities), 0);
    }
  }

  void setup_thread(ThreadContext& ctx) override {
    const auto i = static_cast<std::size_t>(ctx.index);
    PerThread& state = per_thread_.make_for(ctx);
    state.per_port.assign(ports_per_vcpu(), 0);
    state.target = target_of_[i];
    if (const int v = thread_to_vcpu_[i]; v >= 0) {
      state.stamp_seen.assign(ports_per_vcpu(), 0);
      impl_.setup_vcpu(v);
      halts_.make(static_cast<std::size_t>(v));
    }
  }

  std::uint64_t operation(ThreadContext& ctx) {
    PerThread& state = per_thread_.of(ctx);
    const int v = thread_to_vcpu_[static_cast<std::size_t>(ctx.index)];
    if (v < 0) {
      const std::uint32_t rank = random_rank(ctx);
      raise(binding_.port_of(state.target, rank), rank, state, ctx);
      return 0;
    }
    if (ctx.rng.chance(setup_.mask_pct)) toggle_mask(v, state, ctx);
    // The linking order is read on sampled passes only (INV2).
    const Taken taken = impl_.consume(v, ctx.sample_now());
    if (taken.port == 0) {
      idle(v, state, ctx);
      return 0;
    }
    state.idle_since = 0;
    return deliver(v, taken, state, ctx);
  }

  void drain(ThreadContext& ctx) override {
    PerThread& state = per_thread_.of(ctx);
    const int v = thread_to_vcpu_[static_cast<std::size_t>(ctx.index)];
    if (v < 0) return;
    for (std::uint32_t port : state.masked) impl_.unmask(port, ctx, kicker(ctx));
    state.masked.clear();
    while (!impl_.idle(v)) deliver(v, impl_.consume(v), state, ctx);
  }

  std::string check_invariants(const std::vector<ThreadContext*>&) override {
    std::uint64_t out_of_order = 0, masked_handled = 0;
    for (const auto& slot : per_thread_) {
      out_of_order += slot.value.out_of_order;
      masked_handled += slot.value.masked_handled;
    }
    if (masked_handled)
      return "INV3 " + std::to_string(masked_handled) + " masked events were handled";
    if (out_of_order)
      return "INV2 " + std::to_string(out_of_order) + " events were consumed out of linking order";
    std::vector<std::uint64_t> raised_by_port(setup_.ports + 1), handled_by_port(setup_.ports + 1);
    for (std::size_t i = 0; i < per_thread_.size(); ++i) {
      const PerThread& t = per_thread_[i].value;
      const int v = thread_to_vcpu_[i];
      std::vector<std::uint64_t>& sum = v < 0 ? raised_by_port : handled_by_port;
      for (std::uint32_t rank = 0; rank < ports_per_vcpu(); ++rank) {
        sum[binding_.port_of(v < 0 ? t.target : v, rank)] += t.per_port[rank];
      }
    }
    for (std::uint32_t p = 1; p <= setup_.ports; ++p) {
      const std::uint64_t raised = raised_by_port[p];
      const std::uint64_t handled = handled_by_port[p];
      if (kChecks && raised != handled) {
        return "INV1 port " + std::to_string(p) + ": " + std::to_string(raised) +
               " raises set PENDING but " + std::to_string(handled) + " were handled";
      }
      if (impl_.pending(p) || impl_.linked(p)) {
        return "INV4 port " + std::to_string(p) + " is still " +
               (impl_.pending(p) ? "pending" : "linked") + " at quiescence";
      }
    }
    return "";
  }

  void derive_counters(const std::vector<ThreadContext*>&, double seconds,
                       nlohmann::json& counters) override {
    counters["raised_per_sec"] = counters["raised"].get<double>() / seconds;
    Histogram delivery;
    for (const auto& slot : per_thread_) delivery.merge(slot.value.delivery);
    counters["raise_to_handle_p50_ns"] = delivery.percentile(0.50);
    counters["raise_to_handle_p99_ns"] = delivery.percentile(0.99);
  }

 private:
  struct PerThread {
    int target = 0;                  // producers: the consumer whose ports they raise
    std::set<std::uint32_t> masked;  // consumers: their ports masked now
    std::uint64_t out_of_order = 0;
    std::uint64_t masked_handled = 0;
    Histogram delivery;  // consumers: raise to handle, sampled while measuring
    // Per port of the one vCPU a thread serves (by Binding::rank_of):
    // producers count the raises that set PENDING, consumers the events they
    // handled. Per thread, so that counting for INV1 shares no cache line in
    // the measured loop; summed per port at quiescence.
    std::vector<std::uint64_t> per_port;
    std::vector<std::uint64_t> stamp_seen;  // consumers: per port, the stamp last timed
    std::uint64_t idle_since = 0;  // consumers: cycle_clock() of the first empty pass, or 0
  };

  // When the latest sampled raise of a port happened (cycle_clock() + 1; 0:
  // none yet) and the raises it stands for. Written by a producer of the
  // port's vCPU; its consumer only reads it, remembering per port the stamp
  // it last timed, so timing adds no read-modify-write to a delivery.
  struct RaiseStamp {
    std::atomic<std::uint64_t> stamped{0};
    std::atomic<std::uint32_t> weight{0};
  };

  // By the port's vCPU and rank (Binding), which the caller knows.
  RaiseStamp& stamp_of(int v, std::uint32_t rank) {
    return stamps_[static_cast<std::size_t>(v) * ports_per_vcpu() + rank];
  }

  // The sampled raise a delivery of vCPU v's port `rank` completes, if one
  // is waiting.
  std::optional<std::pair<std::uint64_t, std::uint32_t>> sampled_raise(int v, std::uint32_t rank,
                                                                       PerThread& state) {
    const RaiseStamp& stamp = stamp_of(v, rank);
    // Acquire pairs with the producer's release: the weight stored before.
    const std::uint64_t stamped = stamp.stamped.load(std::memory_order_acquire);
    std::uint64_t& seen = state.stamp_seen[rank];
    if (stamped == seen) return std::nullopt;
    seen = stamped;
    return std::make_pair(stamped - 1, stamp.weight.load(std::memory_order_relaxed));
  }

  std::uint32_t ports_per_vcpu() const {
    return setup_.ports / static_cast<std::uint32_t>(binding_.vcpus);
  }

  std::uint32_t random_rank(ThreadContext& ctx) {
    return static_cast<std::uint32_t>(ctx.rng.next() % ports_per_vcpu());
  }

  // The raise is the contended operation: latency_ns times it.
  void raise(std::uint32_t port, std::uint32_t rank, PerThread& state, ThreadContext& ctx) {
    const bool timed = ctx.sample_now();
    const std::uint64_t t0 = timed ? cycle_clock() : 0;
    // Only a sampled raise stamps its port, before the raise can make it
    // visible: the stamps are instrumentation, written once in sample_every
    // raises, and a vCPU's stamps share lines with no other vCPU's.
    if (timed) {
      RaiseStamp& stamp = stamp_of(state.target, rank);
      stamp.weight.store(ctx.sample_weight(), std::memory_order_relaxed);
      stamp.stamped.store(t0 + 1, std::memory_order_release);  // pairs with sampled_raise
    }
    const Raised r = impl_.raise(port, ctx, kicker(ctx));
    if (timed) ctx.record_latency(ticks_to_ns(cycle_clock() - t0));
    ctx.count(kRaised);
    ctx.count(kCoalesced, !r.transition);
    ctx.count(kMaskedRaises, r.masked);
    if constexpr (kChecks) state.per_port[rank] += r.transition;
  }

  void toggle_mask(int v, PerThread& state, ThreadContext& ctx) {
    const std::uint32_t port = binding_.port_of(v, random_rank(ctx));
    if (state.masked.erase(port)) {
      impl_.unmask(port, ctx, kicker(ctx));
    } else {
      impl_.mask(port);
      state.masked.insert(port);
    }
  }

  // vcpu_mark_events_pending(v), for the events implementation to call where
  // Xen calls it (inside the domain's event lock before 4.6).
  auto kicker(ThreadContext& ctx) {
    return [this, &ctx](int v) {
      if (halts_[static_cast<std::size_t>(v)].value.mark_events_pending()) ctx.count(kKicks);
    };
  }

  // A consumer's empty pass: poll on until halt_poll_ns have gone by, then
  // halt.
  void idle(int v, PerThread& state, ThreadContext& ctx) {
    const std::uint64_t now = cycle_clock();
    if (state.idle_since == 0) state.idle_since = now;
    if (ticks_to_ns(now - state.idle_since) < setup_.halt_poll_ns) return;
    state.idle_since = 0;
    VcpuHalt& halt = halts_[static_cast<std::size_t>(v)].value;
    if (halt.halt([&] { return !impl_.idle(v); }, std::chrono::milliseconds(1))) ctx.count(kBlocks);
  }

  // Handles what a consumer pass took (nothing, when port is 0); returns the
  // events delivered.
  std::uint64_t deliver(int v, const Taken& taken, PerThread& state, ThreadContext& ctx) {
    if (taken.port == 0) return 0;
    const std::uint32_t rank = binding_.rank_of(taken.port);
    const int priority = binding_.priority_of(taken.port);
    if constexpr (kChecks && Impl::kOrdered) {
      if (taken.link_seq) {  // a sampled pass read it
        std::uint32_t& last =
            queues_seen_[static_cast<std::size_t>(v)][static_cast<std::size_t>(priority)];
        // Serial-number order: sampled passes are far less than 2^31 links apart.
        if (static_cast<std::int32_t>(*taken.link_seq - last) <= 0) ++state.out_of_order;
        last = *taken.link_seq;
      }
    }
    if (!taken.handled) return 0;
    if constexpr (kChecks) {
      // A size load when the vCPU masks nothing (mask_pct 0, the default).
      if (!state.masked.empty() && state.masked.count(taken.port)) ++state.masked_handled;
      ++state.per_port[rank];
    }
    if (priority == 0) ctx.count(kDeliveredTopPriority);
    // Raise to handle, for the sampled raises, weighted as they were.
    if (const auto raised = sampled_raise(v, rank, state)) {
      const auto [at, weight] = *raised;
      const std::uint64_t now = cycle_clock();
      state.delivery.record(now > at ? ticks_to_ns(now - at) : 0, weight);  // two CPUs' clocks
    }
    handler_.run();
    return 1;
  }

  const WorkloadSetup setup_;
  const Delay handler_;
  std::vector<int> thread_to_vcpu_;
  std::vector<int> target_of_;  // producers: the consumer whose ports they raise
  const Binding binding_;
  Impl impl_;
  std::vector<RaiseStamp> stamps_;
  ThreadSlots<PerThread> per_thread_;
  ThreadSlots<VcpuHalt> halts_;  // per consumer vCPU
  // Per consumer vCPU and priority: the link sequence a sampled pass saw
  // last. Only the consumer touches its row.
  std::vector<std::vector<std::uint32_t>> queues_seen_;
};

}  // namespace lockbench::evtchn
