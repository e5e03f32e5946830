// The ioworker family: the pvcalls backend's workers (seed 003), one global
// list vs the RFC's per-CPU workers vs the merged per-socket work items.
#include "benchmarks/ioworker/family.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "benchmarks/ioworker/global_list.h"
#include "benchmarks/ioworker/percpu_lists.h"
#include "benchmarks/ioworker/persocket_items.h"
#include "benchmarks/ioworker/workload.h"

namespace lockbench::ioworker {

namespace {

using Kind = ParamInfo::Kind;

// Every variant's constructor arguments, from a point's parameters.
std::tuple<WorkloadSetup, std::vector<int>> read_setup(const Params& params,
                                                       const std::vector<int>& roles) {
  const auto frontends = static_cast<int>(std::count(roles.begin(), roles.end(), 1));
  return {WorkloadSetup{.sockets = params.at("sockets_per_frontend").get<int>() * frontends,
                        .payload_bytes = params.at("payload_bytes").get<std::size_t>(),
                        .batch = params.at("batch").get<int>(),
                        .max_workers = params.at("max_workers").get<int>(),
                        .skew = params.at("skew").get<double>(),
                        .notify_ns = params.at("notify_ns").get<std::uint64_t>()},
          roles};
}

template <typename Dispatch>
constexpr auto* workers = &make_workload_of<IoWorkload<Dispatch>, read_setup>;

FamilyInfo describe() {
  return FamilyInfo{
      .name = "ioworker",
      .summary = "pvcalls backend workers: one global list of sockets vs per-CPU workers with "
                 "sockets bound to them vs a serial work item per socket on a shared pool",
      .variants =
          {
              {.name = "global",
               .kind = VariantKind::global,
               .summary = "one list of sockets with pending requests under one lock; any worker "
                          "takes any socket",
               .make = workers<GlobalList>},
              {.name = "percpu",
               .kind = VariantKind::scalable,
               .summary = "the RFC: a worker per CPU (at most max_workers), each with its own "
                          "locked list and a work item on its CPU's workqueue pool; each socket "
                          "bound to one worker",
               .make = workers<PerCpuLists>},
              {.name = "persocket",
               .kind = VariantKind::scalable,
               .summary = "as merged: a serial work item per socket on a shared pool, with the "
                          "io counter (drivers/xen/pvcalls-back.c)",
               .make = workers<PerSocketItems<true>>},
              {.name = "persocket_dropping",
               .kind = VariantKind::broken,
               .summary = "a per-socket item whose pending flag covers the run, without the io "
                          "counter: a notification during a run is dropped",
               .make = workers<PerSocketItems<false>>,
               // One worker, three frontends sending for free, short copies:
               // many runs, each with its vCPU's events landing during it.
               // A batch fills the ring, so a notification lost for it is
               // never followed by another.
               .overrides = {{"payload_bytes", 64},
                             {"batch", Socket::kSlots},
                             {"notify_ns", 0},
                             {"ratio", "3:1"}}},
          },
      .params =
          {
              // Relative to the frontends, so one value serves every box.
              {.name = "sockets_per_frontend",
               .kind = Kind::integer,
               .default_value = 4,
               .min = 1,
               .max = 1024,
               .help = "guest sockets each frontend writes to (each with a ring of 4 requests)"},
              {.name = "payload_bytes",
               .kind = Kind::integer,
               .default_value = 4096,
               .min = 64,
               .max = 1 << 20,
               .help = "bytes a request carries, copied by the worker"},
              {.name = "batch",
               .kind = Kind::integer,
               .default_value = 1,
               .min = 1,
               .max = Socket::kSlots,
               .help = "requests a frontend writes per notification"},
              {.name = "max_workers",
               .kind = Kind::integer,
               .default_value = 64,
               .min = 1,
               .max = 4096,
               .help = "percpu: at most this many workers get sockets (the RFC's MAX_IOWORKERS)"},
              {.name = "skew",
               .kind = Kind::real,
               .default_value = 0,
               .min = 0,
               .max = 1,
               .help = "percpu: the share of sockets bound to worker 0 (0: spread evenly, 1: all "
                       "on one worker)"},
              // An estimate of the order, not a measurement: from an HVM or
              // PVH guest the hypercall is a VM exit and entry (of the order
              // of a thousand cycles on recent x86) plus Xen's evtchn_send
              // (the channel's lock, marking the port pending, perhaps a
              // kick). Set it from a measurement of the guest at hand.
              {.name = "notify_ns",
               .kind = Kind::integer,
               .default_value = 500,
               .min = 0,
               .max = 1e8,
               .help =
                   "the frontend's cost of one send, ns: notify_remote_via_irq's EVTCHNOP_send "
                   "hypercall, spent once per notification (each `batch` of requests); 0: free"},
              {.name = "ratio",
               .kind = Kind::ratio,
               .default_value = "1:1",
               .min = 0,
               .max = 0,
               .help = "frontends:workers (\"P:C\")"},
          },
      .counter_names = names_by_index(kCounters, {{kBytes, "bytes"},
                                                  {kNotifications, "notifications"},
                                                  {kRuns, "runs"},
                                                  {kMigrations, "migrations"},
                                                  {kRingFull, "ring_full"}}),
      .lock_classes =
          names_by_index(kLockClasses, {{kWorkLock, "work_lock"}, {kPoolLock, "pool_lock"}}),
      .role_names = {"worker", "frontend"},
      .derived_counter_names = {"bytes_per_sec", "requests_per_run", "migrated_pct"},
      .report = {.operation = "requests handled",
                 .figures = {{"bytes_per_sec", "bytes copied per second",
                              CounterFigure::Scale::as_is},
                             {"migrated_pct", "runs on another worker than the socket's last (%)",
                              CounterFigure::Scale::as_is},
                             {"requests_per_run", "requests handled per run",
                              CounterFigure::Scale::as_is}}},
  };
}

class IoworkerFamily final : public Family {
 public:
  IoworkerFamily() : Family(describe()) {}

  std::vector<int> assign_roles(const Params& params, int threads) const override {
    return roles_from_ratio(*parse_ratio(params.at("ratio").get<std::string>()), threads);
  }

  // Requests need someone to write them.
  void check_point(const Params& params, const std::vector<int>& roles) const override {
    if (std::count(roles.begin(), roles.end(), 1) == 0) {
      throw std::invalid_argument("param 'ratio' = " + params.at("ratio").dump() +
                                  " gives no frontend; allowed: a ratio P:C with P > 0");
    }
  }

  // Each socket's ring and its other side.
  std::uint64_t memory_bytes(const Params& params, const std::vector<int>& roles) const override {
    const std::uint64_t payload = params.at("payload_bytes").get<std::uint64_t>();
    const auto sockets = params.at("sockets_per_frontend").get<std::uint64_t>() *
                         static_cast<std::uint64_t>(std::count(roles.begin(), roles.end(), 1));
    return sockets * (Socket::kSlots * (kCacheLine + payload) + payload);
  }
};

}  // namespace

const Family& family() {
  static const IoworkerFamily instance;
  return instance;
}

}  // namespace lockbench::ioworker
