// The tasklet family: Xen's global tasklet lock vs per-CPU tasklets (seed 000).
#include "benchmarks/tasklet/family.h"

#include "benchmarks/tasklet/global_tasklets.h"
#include "benchmarks/tasklet/percpu_tasklets.h"
#include "benchmarks/tasklet/workload.h"

namespace lockbench::tasklet {

namespace {

using Kind = ParamInfo::Kind;

// Every variant's constructor arguments, from a point's parameters.
std::tuple<WorkloadSetup, std::vector<int>> read_setup(const Params& params,
                                                       const std::vector<int>& roles) {
  return {WorkloadSetup{.tasklets_per_cpu = params.at("tasklets_per_cpu").get<int>(),
                        .work_ns = params.at("work_ns").get<std::uint64_t>(),
                        .remote_pct = params.at("remote_pct").get<double>(),
                        .producer_gap_ns = params.at("producer_gap_ns").get<std::uint64_t>()},
          roles};
}

template <typename Tasklets>
constexpr auto* tasklets = &make_workload_of<TaskletWorkload<Tasklets>, read_setup>;

FamilyInfo describe() {
  return FamilyInfo{
      .name = "tasklet",
      .summary =
          "Xen tasklets: one global tasklet lock (taken three times per tasklet) vs "
          "per-CPU lists with cross-CPU feeding",
      .variants =
          {
              {.name = "global",
               .kind = VariantKind::global,
               .summary =
                   "Xen's tasklets: per-CPU lists under ONE global lock (xen/common/tasklet.c)",
               .make = tasklets<GlobalTasklets>},
              {.name = "percpu",
               .kind = VariantKind::scalable,
               .summary = "per-CPU tasklets: SCHED/RUN bits, owner-only lists, a feeder list per "
                          "CPU under one feeder lock (the per-CPU RFC)",
               .make = tasklets<PerCpuTasklets>},
              {.name = "percpu_norun",
               .kind = VariantKind::broken,
               .summary =
                   "per-CPU tasklets that run without taking RUN: a tasklet can run on two CPUs",
               .make = tasklets<PerCpuTaskletsNoRun>,
               // Half the schedules cross CPUs, onto tasklets that run long.
               .overrides = {{"remote_pct", 50}, {"work_ns", 2000}, {"tasklets_per_cpu", 2}}},
              {.name = "percpu_late_clear",
               .kind = VariantKind::broken,
               .summary = "per-CPU tasklets that clear SCHED after the call: a schedule merged "
                          "while the tasklet runs is lost",
               .make = tasklets<PerCpuTaskletsLateClear>,
               // Producers' schedules land on tasklets that run long, each
               // CPU running its one tasklet most of the time.
               .overrides = {{"ratio", "1:1"}, {"work_ns", 2000}, {"tasklets_per_cpu", 1}}},
          },
      .params =
          {
              {.name = "tasklets_per_cpu",
               .kind = Kind::integer,
               .default_value = 4,
               .min = 1,
               .max = 4096,
               .help = "tasklets each CPU owns"},
              {.name = "work_ns",
               .kind = Kind::integer,
               .default_value = 50,
               .min = 0,
               .max = 1e8,
               .help = "work in a tasklet's function, ns"},
              {.name = "remote_pct",
               .kind = Kind::real,
               .default_value = 0,
               .min = 0,
               .max = 100,
               .help = "chance (percent) that a CPU schedules a random tasklet onto another CPU "
                       "instead "
                       "of its own tasklet onto itself"},
              {.name = "ratio",
               .kind = Kind::ratio,
               .default_value = "0:1",
               .min = 0,
               .max = 0,
               .help = "producers:consumers (\"P:C\"); with P > 0, producer threads schedule and "
                       "the CPUs "
                       "only run"},
              {.name = "producer_gap_ns",
               .kind = Kind::integer,
               .default_value = 0,
               .min = 0,
               .max = 1e8,
               .help = "work between a producer's schedules, ns (0: back to back)"},
          },
      .counter_names = names_by_index(kCounters, {{kSchedules, "schedules"},
                                                  {kMerged, "merged"},
                                                  {kRequeued, "requeued"},
                                                  {kFeeds, "feeds"}}),
      .lock_classes = names_by_index(
          kLockClasses, {{kTaskletLock, "tasklet_lock"}, {kFeederLock, "feeder_lock"}}),
      .role_names = {"cpu", "producer"},
      .derived_counter_names = {"schedules_per_sec", "lock_acquisitions_per_run"},
      .report = {.operation = "tasklet runs",
                 .figures = {{"lock_acquisitions_per_run", "lock acquisitions per tasklet run",
                              CounterFigure::Scale::as_is},
                             {"feeds", "feeder lists moved (per s)"}}},
  };
}

class TaskletFamily final : public Family {
 public:
  TaskletFamily() : Family(describe()) {}

  std::vector<int> assign_roles(const Params& params, int threads) const override {
    return roles_from_ratio(*parse_ratio(params.at("ratio").get<std::string>()), threads);
  }

  std::uint64_t memory_bytes(const Params& params, const std::vector<int>& roles) const override {
    // A tasklet with its list links and epochs, on its own cache line.
    constexpr std::uint64_t kTaskletBytes = 2 * kCacheLine;
    return params.at("tasklets_per_cpu").get<std::uint64_t>() * roles.size() * kTaskletBytes;
  }
};

}  // namespace

const Family& family() {
  static const TaskletFamily instance;
  return instance;
}

}  // namespace lockbench::tasklet
