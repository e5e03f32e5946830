// Xen's tasklets as they are today (xen/common/tasklet.c): per-CPU lists, but
// ONE global spinlock guards every list and every tasklet field, taken from
// every CPU three times per tasklet: to schedule it, to take it off the list
// before its function runs, and after the function to requeue it if it was
// scheduled again meanwhile. Seed 000: on an 8-socket host the dpci tasklets
// of idle guests spent about 3 ms of every 30 ms time slice on this lock.
//
// Modelled: softirq tasklets only (no tasklets run in vCPU context); the
// softirq raise is a per-CPU flag the CPU's thread polls; "interrupts off"
// needs no modelling since every list access is under the one lock.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "benchmarks/locks/lock_api.h"
#include "benchmarks/locks/profiled_lock.h"
#include "benchmarks/tasklet/list.h"
#include "benchmarks/tasklet/tasklet.h"
#include "harness/measure/platform.h"
#include "harness/measure/thread_slots.h"

namespace lockbench::tasklet {

class GlobalTasklets {
 public:
  struct Tasklet : TaskletCore {
    Tasklet() : link(this) {}
    ListLink<Tasklet> link;  // on scheduled_on's list, or unlinked
    // All three guarded by the global tasklet lock.
    int scheduled_on = -1;
    bool is_running = false;
    bool is_dead = false;
  };


  GlobalTasklets(int cpus, int threads)
      : lock_(kTaskletLock, threads), cpus_(static_cast<std::size_t>(cpus)) {}

  // On the CPU's own thread, before the team starts (first touch).
  void setup_cpu(int cpu) { cpus_.make(static_cast<std::size_t>(cpu)); }

  // tasklet_schedule_on. `stamp` is left on the tasklet when this call makes
  // it pending.
  Scheduled schedule_on(Tasklet& t, int cpu, int /*self*/, Stamp stamp, ThreadContext& ctx) {
    ProfiledGuard guard(lock_, ctx);
    if (t.is_dead) return Scheduled::refused;
    const bool already = t.scheduled_on >= 0;
    if (!already) t.stamp(stamp.at, stamp.weight);
    t.scheduled_on = cpu;
    if (!t.is_running) {
      if (!t.link.empty()) t.link.del_init();  // pending elsewhere: move it
      enqueue(t);
    }
    return already ? Scheduled::merged : Scheduled::pending;
  }

  // One pass of the tasklet softirq on `cpu` (do_tasklet_work): runs at most
  // one tasklet through call(tasklet), and raises the softirq again if more
  // are queued.
  template <typename Call>
  Pass run_pass(int cpu, ThreadContext& ctx, Call&& call) {
    Cpu& this_cpu = cpus_[static_cast<std::size_t>(cpu)].value;
    // Acquire pairs with the release in raise(): not needed for the list
    // (the lock orders that) but it keeps the flag's meaning simple.
    if (!this_cpu.softirq.exchange(false, std::memory_order_acquire)) return {};
    auto held = lock_.lock(ctx);
    if (this_cpu.list.empty()) {
      lock_.unlock(ctx, held);
      return {};
    }
    Tasklet& t = *ListLink<Tasklet>::of(this_cpu.list.next);
    t.link.del_init();
    t.scheduled_on = -1;
    t.is_running = true;
    lock_.unlock(ctx, held);

    call(t);

    held = lock_.lock(ctx);
    t.is_running = false;
    if (t.scheduled_on >= 0) enqueue(t);  // scheduled again while it ran
    if (!this_cpu.list.empty()) raise(this_cpu);      // one tasklet per pass, not a drain
    lock_.unlock(ctx, held);
    return {.ran = true};
  }

  // Nothing is queued on cpu (checked under the lock).
  bool idle(int cpu, ThreadContext& ctx) {
    ProfiledGuard guard(lock_, ctx);
    return cpus_[static_cast<std::size_t>(cpu)].value.list.empty();
  }

  // tasklet_kill: off its list, dead, and no longer running on return.
  void kill(Tasklet& t, ThreadContext& ctx) {
    auto held = lock_.lock(ctx);
    if (!t.link.empty()) t.link.del_init();
    t.scheduled_on = -1;
    t.is_dead = true;
    while (t.is_running) {
      lock_.unlock(ctx, held);
      cpu_relax();
      held = lock_.lock(ctx);
    }
    lock_.unlock(ctx, held);
  }

  // Quiescent checks, single-threaded.
  bool on_any_list(const Tasklet& t) const { return !t.link.empty(); }
  bool lists_empty() const {
    for (const auto& cpu : cpus_) {
      if (!cpu.value.list.empty()) return false;
    }
    return true;
  }

 private:
  struct Cpu {
    ListHead list;
    std::atomic<bool> softirq{false};  // TASKLET_SOFTIRQ raised on this CPU
  };

  void raise(Cpu& cpu) { cpu.softirq.store(true, std::memory_order_release); }

  // tasklet_enqueue, lock held: to the tail of its CPU's list, raising the
  // softirq when the list was empty.
  void enqueue(Tasklet& t) {
    Cpu& cpu = cpus_[static_cast<std::size_t>(t.scheduled_on)].value;
    const bool was_empty = cpu.list.empty();
    cpu.list.add_tail(t.link);
    if (was_empty) raise(cpu);
  }

  ProfiledLock<> lock_;
  ThreadSlots<Cpu> cpus_;
};

}  // namespace lockbench::tasklet
