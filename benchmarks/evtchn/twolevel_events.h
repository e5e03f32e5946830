// The 2-level event-channel ABI (xen/common/event_2l.c; guest side
// drivers/xen/events/events_2l.c): a bitmap of pending ports and one of
// masked ports, shared by the domain, and per vCPU a selector word with a bit
// per pending word that may hold its events. No lock, no queue, no order, a
// fixed number of ports (4096 on 64-bit guests, 64 words of 64). Here as many
// as asked, so the reference runs beside FIFO on large guests: past 4096, a
// selector bit stands for every 64th word (bit w: words w, w + 64, ...).
//
//   raise: set the port's pending bit; if it was clear and the port is
//     unmasked, set the selector bit of its word in the bound vCPU.
//   consume: take the selector by exchange; in the lowest selected word, the
//     lowest pending, unmasked bit bound to this vCPU; clear it and handle.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "benchmarks/evtchn/events.h"
#include "harness/measure/platform.h"
#include "harness/measure/thread_context.h"
#include "harness/measure/thread_slots.h"

namespace lockbench::evtchn {

class TwoLevelEvents {
 public:
  static constexpr bool kOrdered = false;

  TwoLevelEvents(Binding binding, std::uint32_t ports, int /*threads*/)
      : binding_(binding),
        ports_(ports),
        pending_(words_for(ports)),
        masked_(words_for(ports)),
        vcpus_(static_cast<std::size_t>(binding.vcpus)) {}

  // On vCPU v's own thread, before the team starts (first touch).
  void setup_vcpu(int v) {
    Vcpu& vcpu = vcpus_.make(static_cast<std::size_t>(v));
    vcpu.bound.resize(pending_.size());
    for (std::uint32_t p = 1; p <= ports_; ++p) {
      if (binding_.vcpu_of(p) == v) vcpu.bound[p / 64] |= bit(p);
    }
  }

  // kick(vcpu): vcpu_mark_events_pending, once the selector bit is set.
  template <typename Kick>
  Raised raise(std::uint32_t port, ThreadContext&, Kick&& kick) {
    const std::uint64_t old = pending_[port / 64].fetch_or(bit(port), std::memory_order_acq_rel);
    if (old & bit(port)) return {};
    if (masked_[port / 64].load(std::memory_order_acquire) & bit(port)) {
      return {.transition = true, .masked = true};
    }
    return {.transition = true, .notify = select(port, kick)};
  }

  void mask(std::uint32_t port) {
    masked_[port / 64].fetch_or(bit(port), std::memory_order_acq_rel);
  }
  // evtchn_2l_unmask: an event that arrived while masked is selected now.
  template <typename Kick>
  void unmask(std::uint32_t port, ThreadContext&, Kick&& kick) {
    masked_[port / 64].fetch_and(~bit(port), std::memory_order_acq_rel);
    if (pending_[port / 64].load(std::memory_order_acquire) & bit(port)) select(port, kick);
  }

  Taken consume(int v, bool /*read_order: no order to read*/ = false) {
    Vcpu& vcpu = vcpus_[static_cast<std::size_t>(v)].value;
    vcpu.selected |= vcpu.selector.exchange(0, std::memory_order_acquire);
    while (vcpu.selected) {
      const int w = __builtin_ctzll(vcpu.selected);
      for (auto idx = static_cast<std::size_t>(w); idx < pending_.size(); idx += 64) {
        const std::uint64_t ready = pending_[idx].load(std::memory_order_acquire) &
                                    ~masked_[idx].load(std::memory_order_acquire) & vcpu.bound[idx];
        if (ready == 0) continue;
        const auto port = static_cast<std::uint32_t>(idx * 64 + __builtin_ctzll(ready));
        Taken taken;
        taken.port = port;
        taken.handled = pending_[idx].fetch_and(~bit(port), std::memory_order_acq_rel) & bit(port);
        return taken;
      }
      vcpu.selected &= ~(std::uint64_t{1} << w);
    }
    return {};
  }

  bool idle(int v) const {
    const Vcpu& vcpu = vcpus_[static_cast<std::size_t>(v)].value;
    return vcpu.selected == 0 && vcpu.selector.load(std::memory_order_acquire) == 0;
  }
  bool pending(std::uint32_t port) const {
    return pending_[port / 64].load(std::memory_order_relaxed) & bit(port);
  }
  bool linked(std::uint32_t) const { return false; }

 private:
  struct Vcpu {
    alignas(kCacheLine) std::atomic<std::uint64_t> selector{0};  // evtchn_pending_sel
    alignas(kCacheLine) std::uint64_t selected = 0;              // the guest's copy
    std::vector<std::uint64_t> bound;  // per word: the ports bound to this vCPU
  };

  static std::size_t words_for(std::uint32_t ports) { return ports / 64 + 1; }
  static std::uint64_t bit(std::uint32_t port) { return std::uint64_t{1} << (port % 64); }

  // Sets the selector bit; if it was clear, the guest's upcall is due: kicks
  // the vCPU and returns true.
  template <typename Kick>
  bool select(std::uint32_t port, Kick& kick) {
    const int v = binding_.vcpu_of(port);
    Vcpu& target = vcpus_[static_cast<std::size_t>(v)].value;
    const std::uint64_t word_bit = std::uint64_t{1} << (port / 64 % 64);
    if (target.selector.fetch_or(word_bit, std::memory_order_acq_rel) & word_bit) return false;
    kick(v);
    return true;
  }

  const Binding binding_;
  const std::uint32_t ports_;
  std::vector<std::atomic<std::uint64_t>> pending_;
  std::vector<std::atomic<std::uint64_t>> masked_;
  ThreadSlots<Vcpu> vcpus_;
};

}  // namespace lockbench::evtchn
