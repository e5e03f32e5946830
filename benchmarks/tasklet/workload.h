// The tasklet family's workload. Every role-0 thread is a CPU running its
// softirq loop: each step schedules one tasklet (its own, round-robin, onto
// itself: the dpci case, where the interrupt and its tasklet share a CPU; or,
// with probability remote_pct, any tasklet onto another CPU) and then makes
// one softirq pass. With a producer:consumer ratio (parameter ratio "P:C",
// P > 0) the CPUs only run, and dedicated producer threads schedule random
// tasklets onto random CPUs, so every schedule crosses CPUs.
//
// Invariants checked at quiescence, from what runs and schedules recorded
// (INV1 and INV2 are recorded inside the window and compile out with the
// checks: harness/measure/checks.h; kills happen only in the drain, after
// every thread has left its window, so only the drain's runs look for one):
//   INV1 a tasklet never runs on two threads at once (a run finds no sampled
//        run in running_on);
//   INV2 schedules merge but are never lost (no tasklet is left `unserved`,
//        scheduled after its last run), for every tasklet not killed;
//   INV3 after the final drain no tasklet is on any list; kill leaves a
//        tasklet on no list, and no run starts after kill returned nor does
//        a later schedule take effect.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/locks/lock_api.h"
#include "benchmarks/tasklet/tasklet.h"
#include "harness/measure/checks.h"
#include "harness/measure/delay.h"
#include "harness/measure/family.h"
#include "harness/measure/platform.h"
#include "harness/measure/thread_slots.h"

namespace lockbench::tasklet {

// Indices of the family's counters (see family.cc for their names).
enum Counter : int { kSchedules, kMerged, kRequeued, kFeeds, kCounters };

struct WorkloadSetup {
  int tasklets_per_cpu = 4;
  std::uint64_t work_ns = 0;
  double remote_pct = 0;
  std::uint64_t producer_gap_ns = 0;
};

template <typename Impl>
class TaskletWorkload final : public LoopedWorkload<TaskletWorkload<Impl>> {
  using Tasklet = typename Impl::Tasklet;

 public:
  TaskletWorkload(const WorkloadSetup& setup, const std::vector<int>& roles)
      : setup_(setup),
        work_(setup.work_ns),
        gap_(setup.producer_gap_ns),
        burst_(std::min<std::uint64_t>(4 * setup.tasklets_per_cpu * setup.work_ns + 20'000,
                                       50'000'000)),
        cpu_of_thread_(roles.size(), -1),
        per_thread_(roles.size()),
        tasklets_(static_cast<std::size_t>(count_cpus(roles) * setup.tasklets_per_cpu)),
        impl_(count_cpus(roles), static_cast<int>(roles.size())) {
    for (std::size_t i = 0; i < roles.size(); ++i) {
      if (roles[i] == 0) cpu_of_thread_[i] = cpus_++;
    }
    producers_ = static_cast<int>(roles.size()) - cpus_;
    producers_bursting_.store(producers_, std::memory_order_relaxed);
  }

  // A CPU's list and its own tasklets are made on its thread.
  void setup_thread(ThreadContext& ctx) override {
    per_thread_.make_for(ctx);
    const int cpu = cpu_of_thread_[static_cast<std::size_t>(ctx.index)];
    if (cpu < 0) return;
    impl_.setup_cpu(cpu);
    for (int k = 0; k < setup_.tasklets_per_cpu; ++k) {
      const int id = cpu * setup_.tasklets_per_cpu + k;
      Tasklet& t = tasklets_.make(static_cast<std::size_t>(id));
      t.id = id;
      t.home = cpu;
    }
  }

  std::uint64_t operation(ThreadContext& ctx) {
    const int cpu = cpu_of_thread_[static_cast<std::size_t>(ctx.index)];
    if (cpu < 0) {  // a producer: any tasklet onto any CPU
      schedule(random_tasklet(ctx), static_cast<int>(ctx.rng.next() % cpus_), -1, ctx);
      gap_.run();
      return 0;
    }
    if (producers_ == 0) schedule_from(cpu, ctx);
    const Pass pass = impl_.run_pass(cpu, ctx, [&](Tasklet& t) { run(t, ctx); });
    ctx.count(kRequeued, pass.requeued);
    ctx.count(kFeeds, pass.fed);
    return pass.ran;
  }

  // Producers end with a burst of schedules that the CPUs keep running
  // against: INV2 can only see a schedule lost when nothing schedules that
  // tasklet again, and at the window's end the CPUs, which see the stop
  // first or are preempted, would let the producers' last schedules find the
  // tasklets idle. Then each CPU kills every other one of its tasklets, some
  // of them still queued, and runs passes until its lists are empty; a
  // schedule of a killed tasklet must then be refused.
  void drain(ThreadContext& ctx) override {
    const int cpu = cpu_of_thread_[static_cast<std::size_t>(ctx.index)];
    if (cpu < 0) {
      const auto until = std::chrono::steady_clock::now() + burst_;
      while (std::chrono::steady_clock::now() < until) {
        schedule(random_tasklet(ctx), static_cast<int>(ctx.rng.next() % cpus_), -1, ctx);
      }
      producers_bursting_.fetch_sub(1, std::memory_order_release);
      return;
    }
    PerThread& state = per_thread_.of(ctx);
    const auto run_and_check_kill = [&](Tasklet& t) {
      if (t.killed.load(std::memory_order_acquire)) ++state.after_kill;
      run(t, ctx);
    };
    while (producers_bursting_.load(std::memory_order_acquire) > 0) {
      if (!impl_.run_pass(cpu, ctx, run_and_check_kill).ran) cpu_relax();
    }
    for (int k = 1; k < setup_.tasklets_per_cpu; k += 2) {
      Tasklet& t = own(cpu, k);
      impl_.kill(t, ctx);
      t.killed.store(true, std::memory_order_release);
    }
    while (!impl_.idle(cpu, ctx)) impl_.run_pass(cpu, ctx, run_and_check_kill);
    for (int k = 1; k < setup_.tasklets_per_cpu; k += 2) {
      state.revived += impl_.schedule_on(own(cpu, k), cpu, cpu, {}, ctx) != Scheduled::refused;
    }
  }

  std::string check_invariants(const std::vector<ThreadContext*>&) override {
    std::uint64_t overlaps = 0, after_kill = 0, revived = 0;
    for (const auto& slot : per_thread_) {
      overlaps += slot.value.overlaps;
      after_kill += slot.value.after_kill;
      revived += slot.value.revived;
    }
    if (overlaps) {
      return "INV1 a tasklet ran on two threads at once " + std::to_string(overlaps) + " times";
    }
    for (const auto& slot : tasklets_) {
      const Tasklet& t = slot.value;
      if (kChecks && !t.killed.load(std::memory_order_relaxed) &&
          t.unserved.load(std::memory_order_relaxed)) {
        return "INV2 schedule lost: tasklet " + std::to_string(t.id) +
               " was scheduled after its last run";
      }
      if (impl_.on_any_list(t)) {
        return "INV3 tasklet " + std::to_string(t.id) + " is still on a list after the drain" +
               (t.killed.load(std::memory_order_relaxed) ? " although it was killed" : "");
      }
    }
    if (after_kill) return "INV3 " + std::to_string(after_kill) + " runs started after kill";
    if (revived)
      return "INV3 " + std::to_string(revived) + " schedules of a killed tasklet took effect";
    if (!impl_.lists_empty()) return "INV3 a CPU list is not empty after the drain";
    return "";
  }

  void derive_counters(const std::vector<ThreadContext*>& threads, double seconds,
                       nlohmann::json& counters) override {
    std::uint64_t runs = 0, acquisitions = 0;
    for (const ThreadContext* t : threads) {
      runs += t->ops;
      for (const LockClassStats& s : t->locks) acquisitions += s.acquisitions;
    }
    counters["schedules_per_sec"] = counters["schedules"].get<double>() / seconds;
    // The seed's "three times per tasklet": for global, schedule + before the
    // call + after it; merged schedules add to it.
    counters["lock_acquisitions_per_run"] =
        runs ? static_cast<double>(acquisitions) / static_cast<double>(runs) : 0.0;
  }

 private:
  struct PerThread {
    int next_own = 0;  // round-robin over the CPU's own tasklets
    std::uint64_t overlaps = 0;
    std::uint64_t after_kill = 0;
    std::uint64_t revived = 0;
  };

  static int count_cpus(const std::vector<int>& roles) {
    int cpus = 0;
    for (int r : roles) cpus += r == 0;
    return cpus;
  }

  Tasklet& tasklet(int id) { return tasklets_[static_cast<std::size_t>(id)].value; }
  Tasklet& own(int cpu, int k) { return tasklet(cpu * setup_.tasklets_per_cpu + k); }

  // A CPU's schedule: its own tasklets round-robin onto itself, or (with
  // probability remote_pct) any tasklet onto another CPU, as when a device
  // interrupt's affinity moves, so a tasklet can be scheduled on one CPU
  // while it still runs on another.
  void schedule_from(int cpu, ThreadContext& ctx) {
    if (cpus_ > 1 && ctx.rng.chance(setup_.remote_pct)) {
      const int other = (cpu + 1 + static_cast<int>(ctx.rng.next() % (cpus_ - 1))) % cpus_;
      schedule(random_tasklet(ctx), other, cpu, ctx);
      return;
    }
    PerThread& state = per_thread_.of(ctx);
    schedule(own(cpu, state.next_own), cpu, cpu, ctx);
    state.next_own = (state.next_own + 1) % setup_.tasklets_per_cpu;
  }

  Tasklet& random_tasklet(ThreadContext& ctx) {
    return tasklet(static_cast<int>(ctx.rng.next() % tasklets_.size()));
  }

  void schedule(Tasklet& t, int cpu, int self, ThreadContext& ctx) {
    // Relaxed: the variant's claim (an acq_rel RMW or the lock) orders it
    // before the store of the run that serves this schedule.
    if constexpr (kChecks) t.unserved.store(true, std::memory_order_relaxed);
    const Stamp stamp = ctx.sample_now() ? Stamp{cycle_clock(), ctx.sample_weight()} : Stamp{};
    const Scheduled result = impl_.schedule_on(t, cpu, self, stamp, ctx);
    ctx.count(kSchedules);
    ctx.count(kMerged, result == Scheduled::merged);
  }

  // The tasklet's function: claimed by the variant before this is called.
  void run(Tasklet& t, ThreadContext& ctx) {
    const bool sampled = ctx.sample_now();
    if constexpr (kChecks) {
      // Violations counted behind branches: a sound run writes only the
      // tasklet's line.
      if (t.running_on.load(std::memory_order_relaxed) != -1) ++per_thread_.of(ctx).overlaps;
      if (sampled) t.running_on.store(ctx.index, std::memory_order_relaxed);
      t.unserved.store(false, std::memory_order_relaxed);
    }
    // Sampled by the schedule that made it pending (the run's own operation
    // would time only the runs that its own sampling picked).
    if (const std::uint64_t at = t.scheduled_at.load(std::memory_order_relaxed);
        at != 0 && ctx.measuring) {
      const std::uint64_t now = cycle_clock();
      ctx.latency.record(now > at ? ticks_to_ns(now - at) : 0,  // clocks of two CPUs
                         t.scheduled_weight.load(std::memory_order_relaxed));
    }
    work_.run();
    if (kChecks && sampled) t.running_on.store(-1, std::memory_order_relaxed);
  }

  const WorkloadSetup setup_;
  const Delay work_;
  const Delay gap_;
  // How long a producer's closing burst lasts: long enough for each CPU to
  // run each of its tasklets a few times (and 20 us more, for tasklets with
  // no work), at most 50 ms.
  const std::chrono::nanoseconds burst_;
  std::vector<int> cpu_of_thread_;  // CPU index of each thread, -1 for producers
  int cpus_ = 0;
  int producers_ = 0;
  std::atomic<int> producers_bursting_{0};  // producers still in their closing burst
  ThreadSlots<PerThread> per_thread_;
  ThreadSlots<Tasklet> tasklets_;
  Impl impl_;
};

}  // namespace lockbench::tasklet
