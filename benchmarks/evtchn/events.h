// What every event-channel variant shares: the port numbering, the binding
// of ports to (vCPU, priority) queues, and what a raise did.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace lockbench::evtchn {

// The family's lock classes (named in family.cc): the domain's event lock
// and the FIFO ABI's per-(vCPU, priority) queue locks.
enum LockClass : int { kEventLock, kQueueLock, kLockClasses };

// EVTCHN_FIFO_NR_CHANNELS: the most ports a domain has under the FIFO ABI.
inline constexpr std::uint32_t kMaxPorts = 1u << 17;

// Ports 1..ports (0 means "none", as in the FIFO ABI's LINK field). Port p
// is bound to consumer vCPU (p-1) % vcpus, as that vCPU's port number
// (p-1) / vcpus, and to priority ((p-1) / vcpus) % priorities (0 highest).
// Computed once: a raise reads a port's vCPU and priority, as Xen reads
// evtchn->notify_vcpu_id and evtchn->priority, instead of dividing by the
// vCPU count several times per event.
struct Binding {
  Binding(int vcpu_count, int priority_count, std::uint32_t ports)
      : vcpus(vcpu_count), priorities(priority_count), ports_(ports + 1) {
    for (std::uint32_t p = 1; p <= ports; ++p) {
      const std::uint32_t rank = (p - 1) / static_cast<std::uint32_t>(vcpus);
      ports_[p] = {static_cast<std::uint32_t>((p - 1) % static_cast<std::uint32_t>(vcpus)), rank,
                   rank % static_cast<std::uint32_t>(priorities)};
    }
  }

  int vcpus = 1;
  int priorities = 1;
  int vcpu_of(std::uint32_t port) const { return static_cast<int>(ports_[port].vcpu); }
  std::uint32_t rank_of(std::uint32_t port) const { return ports_[port].rank; }
  std::uint32_t port_of(int vcpu, std::uint32_t rank) const {
    return 1 + static_cast<std::uint32_t>(vcpu) + rank * static_cast<std::uint32_t>(vcpus);
  }
  // The port's index when a vCPU's ports are neighbours (0..ports-1), for
  // instrumentation that must share no line between vCPUs; the event array
  // itself keeps Xen's layout, by port.
  std::size_t vcpu_major(std::uint32_t port, std::uint32_t ports_per_vcpu) const {
    return std::size_t{ports_[port].vcpu} * ports_per_vcpu + ports_[port].rank;
  }
  int priority_of(std::uint32_t port) const { return static_cast<int>(ports_[port].priority); }

 private:
  struct Port {
    std::uint32_t vcpu = 0, rank = 0, priority = 0;
  };
  std::vector<Port> ports_;  // by port; read-only once made
};

struct Raised {
  bool transition = false;  // PENDING went 0 -> 1
  bool masked = false;      // ... on a masked port: left pending, not delivered
  bool notify = false;      // the vCPU's READY (selector) bit was set and the vCPU kicked
};

// What a consumer's pass did with the event it took, if any.
struct Taken {
  std::uint32_t port = 0;  // 0: nothing was ready
  bool handled = false;    // PENDING was set and the port unmasked: delivered
  bool was_masked = false;
  // Its place in its queue's linking order, when the pass read it: a serial
  // number (it wraps).
  std::optional<std::uint32_t> link_seq;
};

}  // namespace lockbench::evtchn
