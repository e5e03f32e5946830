// The spinlock family: ticket lock vs paravirtualised ticket lock (seed 002),
// with std::mutex, Concurrency Kit's ticket lock and MCS as references.
#include "benchmarks/spinlock/family.h"

#include "benchmarks/spinlock/ck_ticket_lock.h"
#include "benchmarks/spinlock/mcs_lock.h"
#include "benchmarks/spinlock/pv_ticket_lock.h"
#include "benchmarks/spinlock/std_mutex_lock.h"
#include "benchmarks/common/ticket_lock.h"
#include "benchmarks/spinlock/workload.h"

namespace lockbench::spinlock {

namespace {

using Kind = ParamInfo::Kind;

FamilyInfo describe() {
  return FamilyInfo{
      .name = "spinlock",
      .summary =
          "ticket lock vs paravirtualised ticket lock (spin, then block; the unlocker "
          "kicks the next waiter)",
      .variants =
          {
              {"ticket", Role::global, "ticket lock (Xen, Linux pre-qspinlock)"},
              {"pv_ticket", Role::scalable,
               "PV ticket lock: spin threshold, SLOWPATH flag in head, block, kick the next "
               "waiter (Linux 4.0, Xen backend)"},
              {"std_mutex", Role::reference, "std::mutex (glibc, futex-based)"},
              {"ck_ticket", Role::reference, "Concurrency Kit ck_spinlock_ticket"},
              {"mcs", Role::reference, "MCS queue lock (Concurrency Kit ck_spinlock_mcs)"},
              {"pv_ticket_norecheck", Role::broken,
               "PV ticket lock without the re-check after setting SLOWPATH: loses wakeups",
               // Waiters block soon, and sleeps at each slow-path step widen
               // the window a release slips into.
               {{"spin_threshold", 16}, {"step_sleep_pct", 20}}},
          },
      .params =
          {
              {.name = "cs_ns",
               .kind = Kind::integer,
               .default_value = 50,
               .min = 0,
               .max = 1e8,
               .help = "work inside the critical section, ns"},
              {.name = "ncs_ns",
               .kind = Kind::integer,
               .default_value = 200,
               .min = 0,
               .max = 1e8,
               .help = "work between acquisitions, ns"},
              {.name = "spin_threshold",
               .kind = Kind::integer,
               .default_value = 1 << 15,
               .min = 1,
               .max = 1e9,
               .help = "PV locks: spins (cpu_relax) before blocking; Linux uses 1<<15"},
              {.name = "preempt_pct",
               .kind = Kind::real,
               .default_value = 0,
               .min = 0,
               .max = 100,
               .help = "chance (percent) that a holder is 'preempted' (sleeps) inside the critical " "section"},
              {.name = "preempt_us",
               .kind = Kind::integer,
               .default_value = 200,
               .min = 0,
               .max = 1e6,
               .help = "how long an injected preemption lasts, us"},
              {.name = "step_sleep_pct",
               .kind = Kind::real,
               .default_value = 0,
               .min = 0,
               .max = 100,
               .help = "PV locks: chance (percent) of a short sleep at each step of the slow path, to " "widen races in stress runs"},
          },
      .counter_names = names_by_index(kCounters, {{kBlocks, "blocks"},
                                                  {kKicks, "kicks"},
                                                  {kSpuriousWakeups, "spurious_wakeups"},
                                                  {kPreemptions, "preemptions"}}),
      .lock_classes = names_by_index(kLockClasses, {{kTheLock, "lock"}}),
      .report = {.operation = "lock acquisitions",
                 .figures = {{"blocks", "PV waiters that blocked (per s)"},
                             {"kicks", "unlocks that kicked a waiter (per s)"}},
                 .handoff_bound = true},
  };
}

class SpinlockFamily final : public Family {
 public:
  SpinlockFamily() : Family(describe()) {}

  std::unique_ptr<Workload> make_workload(const std::string& variant, const Params& params,
                                          const std::vector<int>& roles) const override {
    const LockSetup lock{.threads = static_cast<int>(roles.size()),
                         .spin_threshold = params.at("spin_threshold").get<std::uint32_t>(),
                         .step_sleep_pct = params.at("step_sleep_pct").get<double>()};
    const WorkloadSetup work{.cs_ns = params.at("cs_ns").get<std::uint64_t>(),
                             .ncs_ns = params.at("ncs_ns").get<std::uint64_t>(),
                             .preempt_pct = params.at("preempt_pct").get<double>(),
                             .preempt_us = params.at("preempt_us").get<std::uint64_t>()};
    return make_variant(
        variant, std::tie(lock, work), VariantOf<LockWorkload<TicketLock>>{"ticket"},
        VariantOf<LockWorkload<PvTicketLock>>{"pv_ticket"},
        VariantOf<LockWorkload<StdMutexLock>>{"std_mutex"},
        VariantOf<LockWorkload<CkTicketLock>>{"ck_ticket"}, VariantOf<LockWorkload<McsLock>>{"mcs"},
        VariantOf<LockWorkload<PvTicketLockNoRecheck>>{"pv_ticket_norecheck"});
  }
};

}  // namespace

const Family& family() {
  static const SpinlockFamily instance;
  return instance;
}

}  // namespace lockbench::spinlock
