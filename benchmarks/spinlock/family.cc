// The spinlock family: ticket lock vs paravirtualised ticket lock (seed 002),
// with std::mutex, Concurrency Kit's ticket lock and MCS as references.
#include "benchmarks/spinlock/family.h"

#include "benchmarks/locks/ck_ticket_lock.h"
#include "benchmarks/locks/mcs_lock.h"
#include "benchmarks/locks/pv_qspinlock.h"
#include "benchmarks/locks/pv_ticket_lock.h"
#include "benchmarks/locks/qspinlock.h"
#include "benchmarks/locks/std_mutex_lock.h"
#include "benchmarks/locks/tas_lock.h"
#include "benchmarks/locks/ticket_lock.h"
#include "benchmarks/locks/xen_byte_lock.h"
#include "benchmarks/spinlock/workload.h"

namespace lockbench::spinlock {

namespace {

using Kind = ParamInfo::Kind;

// Every variant's constructor arguments, from a point's parameters.
std::tuple<LockSetup, WorkloadSetup> read_setup(const Params& params,
                                                const std::vector<int>& roles) {
  return {LockSetup{.threads = static_cast<int>(roles.size()),
                    .spin_threshold = params.at("spin_threshold").get<std::uint32_t>(),
                    .step_sleep_pct = params.at("step_sleep_pct").get<double>()},
          WorkloadSetup{.cs_ns = params.at("cs_ns").get<std::uint64_t>(),
                        .ncs_ns = params.at("ncs_ns").get<std::uint64_t>(),
                        .preempt_pct = params.at("preempt_pct").get<double>(),
                        .preempt_us = params.at("preempt_us").get<std::uint64_t>()}};
}

template <typename Lock>
constexpr auto* lock = &make_workload_of<LockWorkload<Lock>, read_setup>;

FamilyInfo describe() {
  return FamilyInfo{
      .name = "spinlock",
      .summary =
          "ticket lock vs paravirtualised ticket lock (spin, then block; the unlocker "
          "kicks the next waiter), and the queued spinlock guests run today, native and PV",
      .variants =
          {
              {.name = "ticket",
               .kind = VariantKind::global,
               .summary = "ticket lock (Xen, Linux pre-qspinlock)",
               .make = lock<TicketLock>},
              {.name = "pv_ticket",
               .kind = VariantKind::scalable,
               .summary = "PV ticket lock: spin threshold, SLOWPATH flag in head, block, kick the "
                          "next waiter (Linux 4.0, Xen backend)",
               .make = lock<PvTicketLock>},
              {.name = "std_mutex",
               .kind = VariantKind::reference,
               .summary = "std::mutex (glibc, futex-based)",
               .make = lock<StdMutexLock>},
              {.name = "ck_ticket",
               .kind = VariantKind::reference,
               .summary = "Concurrency Kit ck_spinlock_ticket",
               .make = lock<CkTicketLock>},
              {.name = "mcs",
               .kind = VariantKind::reference,
               .summary = "MCS queue lock (Concurrency Kit ck_spinlock_mcs)",
               .make = lock<McsLock>},
              {.name = "qspinlock",
               .kind = VariantKind::reference,
               .summary = "queued spinlock: locked byte, pending bit, MCS queue in the tail (Linux "
                          "4.2 on, native)",
               .make = lock<QueuedSpinLock>},
              {.name = "pv_qspinlock",
               .kind = VariantKind::scalable,
               .summary =
                   "PV queued spinlock: waiters halt after spinning, the head is hashed and "
                   "kicked by the unlock, running vCPUs steal (Linux 4.2 on; the hybrid unfair "
                   "trylock of 4.15 on; Xen backend)",
               .make = lock<PvQueuedSpinLock>},
              {.name = "tas",
               .kind = VariantKind::reference,
               .summary = "test-and-set lock, a guest's fallback without PV spinlocks "
                          "(virt_spin_lock)",
               .make = lock<TasLock>},
              {.name = "xen_byte",
               .kind = VariantKind::reference,
               .summary = "Xen's spinlock before 4.6: test-and-set on a 16-bit word (xchg, then "
                          "spin reading), what maptrack's and evtchn's global variants take by "
                          "default",
               .make = lock<XenByteLock>},
              {.name = "pv_ticket_norecheck",
               .kind = VariantKind::broken,
               .summary =
                   "PV ticket lock without the re-check after setting SLOWPATH: loses wakeups",
               .make = lock<PvTicketLockNoRecheck>,
               // Waiters block soon, and sleeps at each slow-path step widen
               // the window a release slips into.
               .overrides = {{"spin_threshold", 16}, {"step_sleep_pct", 20}}},
              {.name = "pv_qspinlock_double_hash",
               .kind = VariantKind::broken,
               .summary = "PV queued spinlock of Linux 4.2-4.7: a hashed head sleeps as halted, "
                          "so a late pv_kick_node hashes it again (fixed by 229ce6315747)",
               .make = lock<PvQueuedSpinLockDoubleHash>,
               // Heads sleep soon, and holders pause between making a head
               // and pv_kick_node, the window of the race.
               .overrides = {{"spin_threshold", 16}, {"step_sleep_pct", 20}}},
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
               .help = "chance (percent) that a holder is 'preempted' (sleeps) inside the critical "
                       "section"},
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
               .help =
                   "PV locks: chance (percent) of a short sleep at each step of the slow path, to "
                   "widen races in stress runs"},
          },
      .counter_names = names_by_index(kCounters, {{kBlocks, "blocks"},
                                                  {kKicks, "kicks"},
                                                  {kSpuriousWakeups, "spurious_wakeups"},
                                                  {kPreemptions, "preemptions"},
                                                  {kSteals, "steals"},
                                                  {kHashProbes, "hash_probes"}}),
      .lock_classes = names_by_index(kLockClasses, {{kTheLock, "lock"}}),
      .report = {.operation = "lock acquisitions",
                 .figures = {{"blocks", "PV waiters that blocked (per s)"},
                             {"kicks", "unlocks that kicked a waiter (per s)"},
                             {"steals", "acquisitions past queued waiters (per s)"}},
                 .handoff_bound = true},
  };
}

}  // namespace

const Family& family() {
  static const Family instance(describe());
  return instance;
}

}  // namespace lockbench::spinlock
