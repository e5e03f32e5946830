// Per-CPU tasklets: the RFC that was never merged (Konrad Wilk's branch
// percpu_tasklet.v4.8.v2), shaped like Linux's tasklets. A tasklet has a
// state word with SCHED and RUN bits; each CPU has its own list that only it
// touches, and a feeder list for schedules from other CPUs, guarded by ONE
// global feeder lock that no local schedule and no run takes.
//
//   schedule_on(t, cpu): if SCHED was already set, the schedules merge. Else
//     on this CPU: append to the own list (no lock); on another: lock the
//     feeder lock, append to that CPU's feeder list, unlock, raise its flag.
//   pass(cpu): if the feeder flag is up, splice the feeder list into the own
//     list (under the feeder lock). Pop one; take RUN (if it is still running
//     elsewhere, requeue it); clear SCHED; call it; clear RUN.
//
// Deviations: the RFC's feed IPI is synchronous (the sender waits for the
// target); here it is an asynchronous flag the target polls. kill() marks the
// tasklet dead (schedules are refused, as Xen's API promises) and waits until
// it is not running; a dead tasklet still queued is dropped, not run, when
// its CPU pops it.
//
// Two deliberately broken variants (Flaw), each caught by its own check:
//   no_run_bit       runs a tasklet without taking RUN, so a tasklet
//                    scheduled on another CPU while it runs can run on two
//                    CPUs at once (INV1);
//   late_sched_clear clears SCHED after the call instead of before it, so a
//                    schedule that merges while the tasklet runs is lost: no
//                    run follows it (INV2). Linux's tasklet_action_common and
//                    the RFC clear it before the call for this reason.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "benchmarks/locks/lock_api.h"
#include "benchmarks/locks/profiled_lock.h"
#include "benchmarks/tasklet/list.h"
#include "benchmarks/tasklet/tasklet.h"
#include "harness/measure/platform.h"
#include "harness/measure/thread_slots.h"

namespace lockbench::tasklet {

enum class Flaw { none, no_run_bit, late_sched_clear };

template <Flaw kFlaw>
class PerCpuTaskletsT {
  static constexpr bool kTakeRun = kFlaw != Flaw::no_run_bit;
  static constexpr bool kClearSchedFirst = kFlaw != Flaw::late_sched_clear;

 public:
  struct Tasklet : TaskletCore {
    static constexpr std::uint32_t kSched = 1, kRun = 2;
    std::atomic<std::uint32_t> state{0};
    std::atomic<bool> dead{false};
    Tasklet* next = nullptr;  // link of whichever list holds it
  };


  PerCpuTaskletsT(int cpus, int threads)
      : feeder_lock_(kFeederLock, threads), cpus_(static_cast<std::size_t>(cpus)) {}

  // On the CPU's own thread, before the team starts (first touch).
  void setup_cpu(int cpu) { cpus_.make(static_cast<std::size_t>(cpu)); }

  // self: the calling CPU, or -1 for a thread that is no tasklet CPU.
  Scheduled schedule_on(Tasklet& t, int cpu, int self, Stamp stamp, ThreadContext& ctx) {
    if (t.dead.load(std::memory_order_acquire)) return Scheduled::refused;
    // acq_rel: what the caller wrote before (INV2's `unserved`) is released
    // to the run that clears SCHED (its fetch_and reads this write or a
    // later one), so the run a schedule merged into lowers it after.
    if (t.state.fetch_or(Tasklet::kSched, std::memory_order_acq_rel) & Tasklet::kSched) {
      return Scheduled::merged;
    }
    t.stamp(stamp.at, stamp.weight);
    Cpu& target = cpus_[static_cast<std::size_t>(cpu)].value;
    if (cpu == self) {
      target.own.push_back(&t);  // only this CPU touches its own list
    } else {
      ProfiledGuard guard(feeder_lock_, ctx);
      target.feeder.push_back(&t);
      target.fed.store(true, std::memory_order_release);
    }
    return Scheduled::pending;
  }

  template <typename Call>
  Pass run_pass(int cpu, ThreadContext& ctx, Call&& call) {
    Cpu& this_cpu = cpus_[static_cast<std::size_t>(cpu)].value;
    Pass pass;
    if (this_cpu.fed.load(std::memory_order_relaxed) &&
        this_cpu.fed.exchange(false, std::memory_order_acquire)) {
      ProfiledGuard guard(feeder_lock_, ctx);
      this_cpu.own.splice(this_cpu.feeder);
      pass.fed = true;
    }
    Tasklet* t = this_cpu.own.pop_front();
    if (!t) return pass;
    if (kTakeRun) {
      // seq_cst, with the load of dead below and kill()'s store of dead and
      // load of state: either this pass sees dead, or kill() sees RUN and
      // waits for it (a Dekker pair; acquire/release cannot order them).
      if (t->state.fetch_or(Tasklet::kRun, std::memory_order_seq_cst) & Tasklet::kRun) {
        this_cpu.own.push_back(t);  // still running on another CPU: try later
        pass.requeued = true;
        return pass;
      }
    }
    if (t->dead.load(std::memory_order_seq_cst)) {
      t->state.fetch_and(~(Tasklet::kSched | (kTakeRun ? Tasklet::kRun : 0)),
                         std::memory_order_release);
      return pass;  // killed while queued: dropped
    }
    // From here a new schedule makes it pending again (on any CPU).
    if (kClearSchedFirst) t->state.fetch_and(~Tasklet::kSched, std::memory_order_acq_rel);
    call(*t);
    if (!kClearSchedFirst) t->state.fetch_and(~Tasklet::kSched, std::memory_order_acq_rel);
    // Release: its run happens-before the next run that takes RUN.
    if (kTakeRun) t->state.fetch_and(~Tasklet::kRun, std::memory_order_release);
    pass.ran = true;
    return pass;
  }

  bool idle(int cpu, ThreadContext&) const {
    const Cpu& this_cpu = cpus_[static_cast<std::size_t>(cpu)].value;
    return this_cpu.own.empty() && !this_cpu.fed.load(std::memory_order_acquire);
  }

  void kill(Tasklet& t, ThreadContext&) {
    t.dead.store(true, std::memory_order_seq_cst);
    spin_until([&] { return !(t.state.load(std::memory_order_seq_cst) & Tasklet::kRun); });
  }

  // Quiescent checks, single-threaded.
  bool on_any_list(const Tasklet& t) const {
    for (const auto& cpu : cpus_) {
      if (cpu.value.own.contains(&t) || cpu.value.feeder.contains(&t)) return true;
    }
    return false;
  }
  bool lists_empty() const {
    for (const auto& cpu : cpus_) {
      if (!cpu.value.own.empty() || !cpu.value.feeder.empty()) return false;
    }
    return true;
  }

 private:
  struct Cpu {
    Queue<Tasklet> own;            // this CPU only
    Queue<Tasklet> feeder;         // guarded by the feeder lock
    std::atomic<bool> fed{false};  // the feed "IPI": feeder is not empty
  };

  ProfiledLock<> feeder_lock_;
  ThreadSlots<Cpu> cpus_;
};

using PerCpuTasklets = PerCpuTaskletsT<Flaw::none>;
using PerCpuTaskletsNoRun = PerCpuTaskletsT<Flaw::no_run_bit>;
using PerCpuTaskletsLateClear = PerCpuTaskletsT<Flaw::late_sched_clear>;

}  // namespace lockbench::tasklet
