// The maptrack family: one free list under a lock vs per-vCPU free lists,
// with stealing (seed 001).
#include "benchmarks/maptrack/family.h"

#include "benchmarks/locks/ticket_lock.h"
#include "benchmarks/locks/xen_byte_lock.h"
#include "benchmarks/locks/xen_lock_choice.h"
#include "benchmarks/maptrack/global_maptrack.h"
#include "benchmarks/maptrack/pervcpu_maptrack.h"
#include "benchmarks/maptrack/workload.h"

namespace lockbench::maptrack {

namespace {

using Kind = ParamInfo::Kind;

// Every variant's constructor arguments, from a point's parameters: each
// thread is a vCPU.
std::tuple<WorkloadSetup, int> read_setup(const Params& params, const std::vector<int>& roles) {
  return {WorkloadSetup{.inflight = params.at("inflight").get<int>(),
                        .remote_pct = params.at("remote_pct").get<double>(),
                        .max_frames = params.at("max_frames").get<std::uint32_t>(),
                        .uneven_ns = params.at("uneven_ns").get<std::uint64_t>(),
                        .steal_delay_ns = params.at("steal_delay_ns").get<std::uint64_t>()},
          static_cast<int>(roles.size())};
}

template <typename Maptrack>
constexpr auto* maptrack = &make_workload_of<MaptrackWorkload<Maptrack>, read_setup>;

FamilyInfo describe() {
  return FamilyInfo{
      .name = "maptrack",
      .summary =
          "grant-table maptrack handles: one free list under a lock vs per-vCPU free "
          "lists with remote puts to the owner's tail",
      .variants =
          {
              {.name = "global",
               .kind = VariantKind::global,
               .summary = "one LIFO free list under one lock (Xen before 4.6; its lock: the "
                          "lock parameter)",
               .make = by_xen_lock<maptrack<GlobalMaptrack<XenByteLock>>,
                                   maptrack<GlobalMaptrack<TicketLock>>>},
              {.name = "pervcpu",
               .kind = VariantKind::scalable,
               .summary = "per-vCPU lock-free lists, owner-only get, CAS put to the owner's tail, "
                          "no stealing (dff515dfea alone: Xen 4.6.0 shipped it with e76ff6c156's "
                          "stealing, pervcpu_steal_aba)",
               .make = maptrack<PerVcpuMaptrack<Design::lockfree>>},
              {.name = "pervcpu_locked",
               .kind = VariantKind::scalable,
               .summary = "per-vCPU free-list lock, stealing at the frame cap (Xen after XSA-228)",
               .make = maptrack<PerVcpuMaptrack<Design::locked>>},
              {.name = "pervcpu_steal_aba",
               .kind = VariantKind::broken,
               .summary = "lock-free per-vCPU lists with stealing by CAS on the victim's head: the "
                          "ABA race of XSA-228 hands a handle out twice",
               .make = maptrack<PerVcpuMaptrack<Design::lockfree_steal>>,
               // Nearly every entry in use, so vCPUs steal all the time, and a
               // stall between reading the victim's head and the CAS.
               .overrides = {{"max_frames", 1},
                             {"inflight", 60},
                             {"remote_pct", 50},
                             {"steal_delay_ns", 20000}}},
          },
      .params =
          {
              {.name = "inflight",
               .kind = Kind::integer,
               .default_value = 16,
               .min = 1,
               .max = 4096,
               .help = "handles each vCPU holds mapped"},
              {.name = "remote_pct",
               .kind = Kind::real,
               .default_value = 0,
               .min = 0,
               .max = 100,
               .help = "chance (percent) that a handle is unmapped on another vCPU"},
              {.name = "max_frames",
               .kind = Kind::integer,
               .default_value = 1024,
               .min = 1,
               .max = 65536,
               .help = "frame cap (256 entries a frame); at it vCPUs steal or go without"},
              {.name = "uneven_ns",
               .kind = Kind::integer,
               .default_value = 0,
               .min = 0,
               .max = 1e8,
               .help = "work odd vCPUs do between steps, ns: even vCPUs map more"},
              {.name = "steal_delay_ns",
               .kind = Kind::integer,
               .default_value = 0,
               .min = 0,
               .max = 1e8,
               .help =
                   "stall between reading a victim's head and the compare-and-swap, ns (stress)"},
              xen_lock_param("the global variant's maptrack lock (the per-vCPU variants' locks are "
                             "ticket locks)"),
          },
      .counter_names = names_by_index(kCounters, {{kGrowths, "growths"},
                                                  {kSteals, "steals"},
                                                  {kRemotePuts, "remote_puts"},
                                                  {kExhausted, "exhausted"}}),
      .lock_classes = names_by_index(kLockClasses, {{kMaptrackLock, "maptrack_lock"},
                                                    {kGrantLock, "grant_lock"},
                                                    {kFreelistLock, "freelist_lock"}}),
      .role_names = {"vcpu"},
      .report = {.operation = "map and unmap pairs",
                 .figures = {{"steals", "handles stolen at the cap (per s)"},
                             {"remote_puts", "unmaps on another vCPU (per s)"},
                             {"exhausted", "gets that found no handle (per s)"}}},
  };
}

class MaptrackFamily final : public Family {
 public:
  MaptrackFamily() : Family(describe()) {}

  // The entries of every frame, and a hand-off ring per (sender, receiver).
  std::uint64_t memory_bytes(const Params& params, const std::vector<int>& roles) const override {
    const std::uint64_t vcpus = roles.size();
    const std::uint64_t ring = sizeof(HandOffRing) +
                               (params.at("inflight").get<std::uint64_t>() + 1) * sizeof(std::uint32_t);
    return params.at("max_frames").get<std::uint64_t>() * kPerFrame * sizeof(Entry) +
           vcpus * vcpus * ring;
  }
};

}  // namespace

const Family& family() {
  static const MaptrackFamily instance;
  return instance;
}

}  // namespace lockbench::maptrack
