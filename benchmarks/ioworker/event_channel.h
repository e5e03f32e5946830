// The sockets' event channels as the backend's domain receives them. In
// Xen an interdomain event is delivered to the vCPU its port is bound to
// (notify_vcpu_id), so the backend's handler (pvcalls_back_conn_event,
// which calls queue_work) runs on that vCPU, not on the frontend's.
//
// The backend's vCPUs are the worker threads: socket s's port is bound to
// worker s % workers. A frontend's send marks the port pending and, if the
// vCPU had no upcall pending, kicks it (evtchn_set_pending,
// vcpu_mark_events_pending, vcpu_kick); the worker runs its upcall where an
// interrupt could reach it (IoWorkload::upcall's callers: no lock held),
// handling each pending port once however often it was raised meanwhile (a
// pending bit coalesces raises), clearing the bit before calling the
// handler. So a handler can find the socket it queues running on its own
// vCPU, as an interrupt that lands on a worker mid-run does.
//
// What this keeps of Xen and Linux: the handler's vCPU, coalescing, and the
// kick of an idle vCPU. Departures:
//   - binding: Linux binds a new port to vCPU 0 and leaves it there unless
//     irqbalance (or an explicit bind) moves it; the ports here are spread
//     over the workers, round-robin, as a balancer would leave them. With
//     percpu's default binding (no skew, no cap below the workers) that is
//     the socket's own ioworker, so its queue_work_on is local.
//   - delivery: the 2-level ABI's shape (a pending bit per port, an
//     upcall_pending flag per vCPU) with the bits grouped per vCPU, no
//     masks, no selector word, no priorities (the evtchn family models
//     delivery itself).
//   - timing: the upcall runs before a worker looks for work and after
//     each request it copies, not in the middle of one request's copy as an
//     interrupt could; with large payloads a notification waits for the
//     request being copied.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "harness/measure/platform.h"

namespace lockbench::ioworker {

class EventChannels {
 public:
  EventChannels(int ports, int vcpus) : vcpus_(vcpus), of_vcpu_(static_cast<std::size_t>(vcpus)) {
    const int ranks = (ports + vcpus - 1) / vcpus;  // ports per vCPU, at most
    for (Padded<Vcpu>& v : of_vcpu_) v.value.allocate(ranks);
  }

  int vcpu_of(int port) const { return port % vcpus_; }

  // The send, on the frontend's side. Returns whether the port's vCPU is to
  // be kicked: it had no upcall pending.
  bool raise(int port) {
    Vcpu& v = of_vcpu_[static_cast<std::size_t>(vcpu_of(port))].value;
    const int rank = port / vcpus_;
    const std::uint64_t bit = std::uint64_t{1} << (rank % 64);
    // acq_rel: the requests written before the send are visible to the
    // handler that takes the bit (its exchange), and the upcall flag's
    // exchange orders after the bit.
    std::atomic<std::uint64_t>& word = v.pending[static_cast<std::size_t>(rank / 64)].value;
    if ((word.fetch_or(bit, std::memory_order_acq_rel) & bit) != 0) {
      return false;  // already pending: coalesced
    }
    return v.upcall_pending.exchange(1, std::memory_order_acq_rel) == 0;
  }

  // The vCPU's upcall: calls handler(port) for each port found pending,
  // its bit cleared first (a raise from then on makes it pending again).
  // Returns how many. Called after the vCPU read its wake count, so that a
  // kick after this look ends its sleep (WakeChannel).
  template <typename Handler>
  int upcall(int vcpu, Handler handler) {
    Vcpu& v = of_vcpu_[static_cast<std::size_t>(vcpu)].value;
    // Acquire pairs with the raise's exchange: the bits set before it.
    if (v.upcall_pending.load(std::memory_order_acquire) == 0) return 0;
    v.upcall_pending.exchange(0, std::memory_order_acq_rel);
    int handled = 0;
    for (std::size_t w = 0; w < v.words; ++w) {
      std::uint64_t bits = v.pending[w].value.exchange(0, std::memory_order_acq_rel);
      for (; bits != 0; bits &= bits - 1, ++handled) {
        const auto rank = static_cast<int>(w * 64) + __builtin_ctzll(bits);
        handler(rank * vcpus_ + vcpu);
      }
    }
    return handled;
  }

  // At quiescence: no port or upcall left pending.
  bool quiescent() const {
    for (const Padded<Vcpu>& padded : of_vcpu_) {
      const Vcpu& v = padded.value;
      if (v.upcall_pending.load(std::memory_order_relaxed) != 0) return false;
      for (std::size_t w = 0; w < v.words; ++w) {
        if (v.pending[w].value.load(std::memory_order_relaxed) != 0) return false;
      }
    }
    return true;
  }

 private:
  struct Vcpu {
    void allocate(int ranks) {
      words = static_cast<std::size_t>((ranks + 63) / 64);
      pending = std::make_unique<Padded<std::atomic<std::uint64_t>>[]>(words);
    }
    std::atomic<std::uint32_t> upcall_pending{0};  // evtchn_upcall_pending
    std::size_t words = 0;
    // Bit r of the words: port r * vcpus + vcpu. A line of their own each,
    // so that no two vCPUs' raises share one.
    std::unique_ptr<Padded<std::atomic<std::uint64_t>>[]> pending;
  };

  const int vcpus_;
  std::vector<Padded<Vcpu>> of_vcpu_;
};

}  // namespace lockbench::ioworker
