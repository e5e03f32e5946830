// The evtchn family: a domain-wide event lock vs the FIFO ABI's per-queue
// locks with a lockless single consumer, and the 2-level ABI (seed 004).
#include "benchmarks/evtchn/family.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "benchmarks/evtchn/fifo_events.h"
#include "benchmarks/evtchn/twolevel_events.h"
#include "benchmarks/evtchn/workload.h"
#include "benchmarks/locks/ticket_lock.h"
#include "benchmarks/locks/xen_byte_lock.h"
#include "benchmarks/locks/xen_lock_choice.h"

namespace lockbench::evtchn {

namespace {

using Kind = ParamInfo::Kind;

// Ports grow with the guest, as they do in Xen (a timer VIRQ and IPIs per
// vCPU, then devices), so one value serves a laptop and a large box.
std::uint64_t total_ports(const Params& params, const std::vector<int>& roles) {
  const auto vcpus = static_cast<std::uint64_t>(std::count(roles.begin(), roles.end(), 0));
  return params.at("ports_per_vcpu").get<std::uint64_t>() * vcpus;
}

// Every variant's constructor arguments, from a point's parameters.
std::tuple<WorkloadSetup, std::vector<int>> read_setup(const Params& params,
                                                       const std::vector<int>& roles) {
  return {WorkloadSetup{.ports = static_cast<std::uint32_t>(total_ports(params, roles)),
                        .priorities = params.at("priorities").get<int>(),
                        .fanin = params.at("fanin").get<int>(),
                        .mask_pct = params.at("mask_pct").get<double>(),
                        .handler_ns = params.at("handler_ns").get<std::uint64_t>(),
                        .halt_poll_ns = params.at("halt_poll_ns").get<std::uint64_t>()},
          roles};
}

template <typename Events>
constexpr auto* events = &make_workload_of<EventWorkload<Events>, read_setup>;

FamilyInfo describe() {
  return FamilyInfo{
      .name = "evtchn",
      .summary =
          "event channels: a domain-wide lock around every raise vs the FIFO ABI's "
          "per-queue locks with a lockless single consumer (raise/consume)",
      .variants =
          {
              {.name = "global",
               .kind = VariantKind::global,
               .summary = "FIFO queues, but every raise under one domain-wide lock (event_lock, "
                          "Xen < 4.6)",
               .make = by_xen_lock<events<FifoEvents<LockScope::kDomain, XenByteLock>>,
                                   events<FifoEvents<LockScope::kDomain, TicketLock>>>},
              {.name = "fifo",
               .kind = VariantKind::scalable,
               .summary = "the FIFO ABI: a lock per (vCPU, priority) queue, tail linking by "
                          "compare-and-swap, lockless consumer (xen/common/event_fifo.c)",
               .make = events<FifoEvents<LockScope::kQueue>>},
              {.name = "2level",
               .kind = VariantKind::reference,
               .summary = "the 2-level ABI: pending bitmap and selector words, no lock, no order",
               .make = events<TwoLevelEvents>},
              {.name = "fifo_nolock",
               .kind = VariantKind::broken,
               .summary = "FIFO linking without the queue lock: racing raises overwrite a link, "
                          "events are lost",
               .make = events<FifoEvents<LockScope::kNone>>,
               // Two producers per vCPU race on its queues' tails.
               .overrides = {{"fanin", 2}}},
          },
      .params =
          {
              {.name = "ratio",
               .kind = Kind::ratio,
               .default_value = "1:1",
               .min = 0,
               .max = 0,
               .help =
                   "producers:consumers (\"P:C\"): backend CPUs raising : guest vCPUs consuming"},
              {.name = "ports_per_vcpu",
               .kind = Kind::integer,
               .default_value = 32,
               .min = 1,
               .max = 4096,
               .help = "event channels bound to each consumer vCPU (round-robin over the vCPUs)"},
              {.name = "priorities",
               .kind = Kind::integer,
               .default_value = 2,
               .min = 1,
               .max = 16,
               .help = "priorities in use (0 highest)"},
              {.name = "fanin",
               .kind = Kind::integer,
               .default_value = 1,
               .min = 1,
               .max = 1024,
               .help = "producers that raise to the same consumer's queues"},
              {.name = "mask_pct",
               .kind = Kind::real,
               .default_value = 0,
               .min = 0,
               .max = 100,
               .help =
                   "chance (percent) per consumer step of masking or unmasking one of its ports"},
              {.name = "handler_ns",
               .kind = Kind::integer,
               .default_value = 100,
               .min = 0,
               .max = 1e8,
               .help = "work handling one event, ns"},
              {.name = "halt_poll_ns",
               .kind = Kind::integer,
               .default_value = 0,
               .min = 0,
               .max = 1e9,
               .help = "an idle vCPU polls this long, then blocks until a raise kicks it (0: a "
                       "Xen guest's idle loop blocks at once)"},
              xen_lock_param(
                  "the global variant's spinlocks (fifo's queue locks are ticket locks)"),
          },
      .counter_names = names_by_index(kCounters, {{kRaised, "raised"},
                                                  {kCoalesced, "coalesced"},
                                                  {kMaskedRaises, "masked_raises"},
                                                  {kDeliveredTopPriority, "delivered_top_priority"},
                                                  {kBlocks, "blocks"},
                                                  {kKicks, "kicks"}}),
      .lock_classes =
          names_by_index(kLockClasses, {{kEventLock, "event_lock"}, {kQueueLock, "queue_lock"}}),
      .role_names = {"vcpu", "producer"},
      .derived_counter_names = {"raised_per_sec", "raise_to_handle_p50_ns",
                                "raise_to_handle_p99_ns"},
      .report = {.operation = "events handled",
                 .figures = {{"coalesced", "raises of an already pending port (per s)"},
                             {"kicks", "raises that woke a halted vCPU (per s)"},
                             {"raise_to_handle_p99_ns", "raise to handle, p99 (ns)",
                              CounterFigure::Scale::as_is}}},
  };
}

class EvtchnFamily final : public Family {
 public:
  EvtchnFamily() : Family(describe()) {}

  std::vector<int> assign_roles(const Params& params, int threads) const override {
    return roles_from_ratio(*parse_ratio(params.at("ratio").get<std::string>()), threads);
  }

  // A domain has at most kMaxPorts event channels (the FIFO ABI's limit).
  void check_point(const Params& params, const std::vector<int>& roles) const override {
    const std::uint64_t ports = total_ports(params, roles);
    if (ports > kMaxPorts) {
      throw std::invalid_argument(
          "param 'ports_per_vcpu' = " + params.at("ports_per_vcpu").dump() + " gives " +
          std::to_string(ports) + " ports over the point's consumer vCPUs; allowed: at most " +
          std::to_string(kMaxPorts) + " ports in all (the FIFO ABI's limit)");
    }
  }
};

}  // namespace

const Family& family() {
  static const EvtchnFamily instance;
  return instance;
}

}  // namespace lockbench::evtchn
