#include "harness/measure/run_point.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <numeric>
#include <optional>
#include <system_error>
#include <thread>

#include "harness/measure/delay.h"
#include "harness/measure/futex.h"
#include "harness/measure/handoff.h"
#include "harness/measure/os_activity.h"
#include "harness/measure/placement.h"
#include "harness/measure/platform.h"

namespace lockbench {

namespace {

nlohmann::json summarize_latency(const std::vector<ThreadContext*>& threads) {
  Histogram merged;
  for (const ThreadContext* t : threads) merged.merge(t->latency);
  return {{"p50", merged.percentile(0.50)},
          {"p90", merged.percentile(0.90)},
          {"p99", merged.percentile(0.99)},
          {"p999", merged.percentile(0.999)},
          {"max", merged.max()},
          {"mean", merged.mean()},
          {"samples", merged.count()}};
}

// Contention figures only for classes whose locks said whether they waited
// (a lock that cannot tell without an extra access to its line does not).
nlohmann::json summarize_locks(const std::vector<ThreadContext*>& threads,
                               const std::vector<std::string>& classes) {
  nlohmann::json stats = nlohmann::json::object();
  for (std::size_t c = 0; c < classes.size(); ++c) {
    LockClassStats sum;
    for (const ThreadContext* t : threads) {
      const LockClassStats& s = t->locks[c];
      sum.acquisitions += s.acquisitions;
      sum.contention_unknown += s.contention_unknown;
      sum.contended += s.contended;
      sum.timed += s.timed;
      sum.wait_ns += s.wait_ns;
      sum.hold_ns += s.hold_ns;
    }
    const double timed = static_cast<double>(std::max<std::uint64_t>(sum.timed, 1));
    nlohmann::json& entry = stats[classes[c]];
    entry = {{"acquisitions", sum.acquisitions},
             {"wait_ns_mean", static_cast<double>(sum.wait_ns) / timed},
             {"hold_ns_mean", static_cast<double>(sum.hold_ns) / timed}};
    const std::uint64_t known = sum.acquisitions - sum.contention_unknown;
    if (known > 0) {
      entry["contended"] = sum.contended;
      entry["contended_pct"] =
          100.0 * static_cast<double>(sum.contended) / static_cast<double>(known);
    }
  }
  return stats;
}

nlohmann::json summarize_counters(const std::vector<ThreadContext*>& threads,
                                  const std::vector<std::string>& names) {
  nlohmann::json counters = nlohmann::json::object();
  for (std::size_t c = 0; c < names.size(); ++c) {
    std::uint64_t total = 0;
    for (const ThreadContext* t : threads) total += t->counters[c];
    counters[names[c]] = total;
  }
  return counters;
}

void milestone(std::atomic<std::uint32_t> RunProgress::*counter, RunProgress* progress) {
  if (progress) (progress->*counter).fetch_add(1, std::memory_order_relaxed);
}

// What a thread's context is made from.
struct ThreadPlan {
  int index;
  int role;
  int cpu;
  std::uint32_t sample_every;
  SchedPolicy sched;
};

// What a thread says of the policy it was to run under: 0 or why it was
// refused, and the slice it gives (own_slice_ns; 0 unknown). Kept apart from
// its ThreadContext, whose layout the measured loop's timing depends on.
struct ThreadSched {
  int error = 0;
  std::uint64_t slice_ns = 0;
};

// What the coordinator tells a thread it has just made: wait, or go on
// (0: bound, or unpinned), or go on unbound (an errno). The thread sleeps
// on it (a futex) rather than spinning: at a thousand threads the
// coordinator is still making the last ones on CPUs the first would spin on.
inline constexpr std::uint32_t kBindPending = ~std::uint32_t{0};

// The thread makes its own context, once pinned, so that it is first
// touched on the thread's NUMA node (on pages of its own: make_on_own_pages);
// the start barrier publishes it. It touches no memory before the
// coordinator has pinned it: its first allocation sets up its malloc arena
// and cache, which would otherwise land wherever it happened to start.
void thread_body(const Topology& topology, Workload& workload, const ThreadPlan& plan,
                 std::atomic<std::uint32_t>& bound, OwnPages<ThreadContext>& slot,
                 ThreadOsCounters& os_counters, ThreadSched& sched, std::barrier<>& start,
                 std::barrier<>& stopped, std::barrier<>& drained, const std::atomic<int>& phase,
                 RunProgress* progress) {
  std::uint32_t said;
  while ((said = bound.load(std::memory_order_acquire)) == kBindPending) {
    futex_wait(bound, kBindPending);
  }
  const int bind_errno = static_cast<int>(said);
  // Its policy from here on, so that it starts the window as it runs it. A
  // refusal fails the point, as a failed binding does, but the thread runs
  // its course.
  sched.error = set_measured_policy(plan.sched);
  if (sched.error == 0) sched.slice_ns = own_slice_ns(plan.sched);
  slot = make_on_own_pages<ThreadContext>(plan.index, plan.role, plan.cpu, plan.sample_every);
  os_counters = ThreadOsCounters::open_for_this_thread();
  ThreadContext& ctx = *slot;
  ctx.bind_errno = bind_errno;  // the point fails, but the thread runs its course
  workload.setup_thread(ctx);
  start.arrive_and_wait();
  if (phase.load(std::memory_order_relaxed) == kAbandon) return;
  workload.run(ctx, phase);
  milestone(&RunProgress::stopped, progress);
  stopped.arrive_and_wait();
  workload.drain(ctx);
  milestone(&RunProgress::drained, progress);
  drained.arrive_and_wait();
  ctx.cpu_seen = topology.is_this_system() ? topology.last_cpu_of_this_thread() : -1;
}

// The limits on a process's threads that are set, for a point whose team
// could not be created: which one it ran into is for the user to see.
std::string thread_limits() {
  std::string limits;
  const auto add = [&](const std::string& what) { limits += (limits.empty() ? "" : ", ") + what; };
  const auto add_rlimit = [&](decltype(RLIMIT_NPROC) resource, const char* name,
                              const char* ulimit, std::uint64_t unit, const char* unit_name) {
    struct rlimit value {};
    if (getrlimit(resource, &value) == 0 && value.rlim_cur != RLIM_INFINITY) {
      add(std::string(name) + " " + std::to_string(value.rlim_cur / unit) + unit_name + " (" +
          ulimit + ")");
    }
  };
  add_rlimit(RLIMIT_NPROC, "RLIMIT_NPROC", "ulimit -u: processes and threads of the user", 1, "");
  add_rlimit(RLIMIT_AS, "RLIMIT_AS", "ulimit -v: address space, each thread's stack counts",
             1 << 20, " MiB");
  add_rlimit(RLIMIT_STACK, "RLIMIT_STACK", "ulimit -s: each thread's stack", 1 << 20, " MiB");
  for (const char* file : {"/proc/sys/kernel/threads-max", "/sys/fs/cgroup/pids.max"}) {
    std::ifstream in(file);
    std::string value;
    if (in >> value && value != "max") add(std::string(file) + " " + value);
  }
  return "limits: " + (limits.empty() ? std::string("none set") : limits);
}

// "" when every thread runs where it was planned to, else why not: a point
// whose threads are not where its results say measures another placement.
std::string binding_failures(const std::vector<ThreadContext*>& threads) {
  std::string failures;
  int count = 0;
  for (const ThreadContext* t : threads) {
    if (t->bind_errno == 0) continue;
    if (++count <= 3) {
      failures += (failures.empty() ? "" : "; ") + std::string("thread ") +
                  std::to_string(t->index) + " to CPU " + std::to_string(t->cpu) + " (" +
                  std::strerror(t->bind_errno) + ")";
    }
  }
  if (count == 0) return "";
  return "placement: " + std::to_string(count) + " of " + std::to_string(threads.size()) +
         " threads could not be bound as planned: " + failures +
         (count > 3 ? "; ..." : "") +
         "; is lockbench limited to fewer CPUs (taskset, a cgroup cpuset)?";
}

// "" when every thread and the coordinator run under the point's policy,
// else who was refused what, and what to do: a point that says rr must not
// measure threads that run as other.
std::string sched_failures(const std::vector<ThreadSched>& threads, SchedPolicy policy,
                           int coordinator_errno) {
  const std::string asked = policy == SchedPolicy::rr
                                ? "SCHED_RR priority " + std::to_string(kMeasuredRtPriority)
                                : std::string("SCHED_OTHER");
  std::string failures;
  int count = 0;
  for (std::size_t i = 0; i < threads.size(); ++i) {
    if (threads[i].error == 0) continue;
    if (++count <= 3) {
      failures += (failures.empty() ? "" : "; ") + std::string("thread ") + std::to_string(i) +
                  " (" + std::strerror(threads[i].error) + ")";
    }
  }
  std::string what;
  if (count > 0) {
    what = std::to_string(count) + " of " + std::to_string(threads.size()) +
           " threads were refused " + asked + ": " + failures + (count > 3 ? "; ..." : "");
  }
  if (coordinator_errno != 0) {
    what += (what.empty() ? "" : "; ") + std::string("the coordinator was refused SCHED_FIFO ") +
            "priority " + std::to_string(kControlRtPriority) + " (" +
            std::strerror(coordinator_errno) + ")";
  }
  if (what.empty()) return "";
  return std::string("sched: value \"") + to_string(policy) + "\" could not be set: " + what +
         "; " + kSchedRemedy;
}

std::vector<ThreadOsCounters::Reading> read_all(const std::vector<ThreadOsCounters>& counters) {
  std::vector<ThreadOsCounters::Reading> readings;
  readings.reserve(counters.size());
  for (const ThreadOsCounters& c : counters) readings.push_back(c.read());
  return readings;
}

std::string nodes_text(const std::vector<int>& nodes) {
  std::string text;
  for (int n : nodes) text += (text.empty() ? "" : ", ") + std::to_string(n);
  return text.empty() ? "none the kernel could say" : text;
}

// The workload built with its shared state where the binding says: the
// coordinator's policy places what the constructor touches first, then the
// workload object is moved there (pages it shares with earlier allocations
// were touched before). The policy goes back to the OS's default before
// the team is made: threads inherit it, and their own state belongs on
// their own node.
std::unique_ptr<Workload> make_workload_at(const RunSpec& spec, const std::vector<int>& roles,
                                           const Topology& topology, std::string& error) {
  const bool placed = spec.home.policy != MemoryBinding::Policy::os_choice;
  if (placed) error = topology.set_thread_memory_policy(spec.home);
  if (!error.empty()) return nullptr;
  std::unique_ptr<Workload> workload = spec.family->make_workload(spec.variant, spec.params, roles);
  if (placed) {
    const MemoryRegion shared = workload->shared_memory();
    error = topology.move_area(shared.start, shared.bytes, spec.home);
    const std::string restored = topology.set_thread_memory_policy(MemoryBinding{});
    if (error.empty()) error = restored;
  }
  return workload;
}

// Where the shared state and each thread's context are, and "" or why the
// shared state is not where the home says (a kernel that does not honour a
// binding, memory that could not move).
std::string locate_memory(const RunSpec& spec, const Topology& topology, const Workload& workload,
                          const std::vector<ThreadContext*>& threads, nlohmann::json& record) {
  const MemoryRegion shared = workload.shared_memory();
  const std::vector<int> shared_nodes = topology.memory_nodes_of(shared.start, shared.bytes);
  std::vector<int> per_thread;
  for (const ThreadContext* t : threads) {
    const std::vector<int> nodes = topology.memory_nodes_of(t, sizeof *t);
    per_thread.push_back(nodes.size() == 1 ? nodes.front() : -1);
  }
  record = {{"shared", shared_nodes}, {"threads", per_thread}};
  if (spec.home.policy == MemoryBinding::Policy::os_choice) return "";
  const bool within =
      !shared_nodes.empty() && std::all_of(shared_nodes.begin(), shared_nodes.end(), [&](int n) {
        return std::find(spec.home.nodes.begin(), spec.home.nodes.end(), n) !=
               spec.home.nodes.end();
      });
  if (within) return "";
  return "memory: the shared state was to be on NUMA node(s) " + nodes_text(spec.home.nodes) +
         " but is on " + nodes_text(shared_nodes) +
         "; is memory binding restricted here (a cpuset's mems, a container)?";
}

// The two CPUs whose hand-off stands for the point's machine state: the
// first two its threads are pinned to, else the first two of the machine
// (unpinned threads go anywhere; on a small VM these are the same CPUs).
// Empty when there are not two to probe.
std::vector<int> probe_cpus(const RunSpec& spec, const Topology& topology) {
  std::vector<int> cpus;
  for (int cpu : spec.cpus) {
    if (cpu != kUnpinned && std::find(cpus.begin(), cpus.end(), cpu) == cpus.end()) {
      cpus.push_back(cpu);
    }
  }
  if (cpus.size() < 2) {
    cpus.clear();
    for (const Pu& pu : topology.pus()) cpus.push_back(pu.os_index);
  }
  if (cpus.size() < 2 || !topology.is_this_system()) return {};
  return {cpus[0], cpus[1]};
}

}  // namespace

double jain_fairness(const std::vector<std::uint64_t>& counts) {
  double sum = 0, squares = 0;
  for (std::uint64_t c : counts) {
    sum += static_cast<double>(c);
    squares += static_cast<double>(c) * static_cast<double>(c);
  }
  if (squares == 0) return 0;
  return sum * sum / (static_cast<double>(counts.size()) * squares);
}

RunResult run_point(const RunSpec& spec, const Topology& topology) {
  const FamilyInfo& info = spec.family->info();
  const std::vector<int> roles =
      spec.roles.empty() ? spec.family->assign_roles(spec.params, spec.threads) : spec.roles;
  // One-time calibrations happen here at the latest, never inside the window
  // (a sweep has made them before forking the point; these calls return them).
  ns_per_tick();
  Delay::loops_per_ns();
  std::string misplaced;
  std::unique_ptr<Workload> workload = make_workload_at(spec, roles, topology, misplaced);
  if (!misplaced.empty()) {
    return RunResult::failed("memory: the shared state could not be placed on NUMA node(s) " +
                             nodes_text(spec.home.nodes) + " (" + misplaced + ")");
  }

  // What each thread's context will be; each thread makes its own.
  std::vector<ThreadPlan> plans;
  for (int i = 0; i < spec.threads; ++i) {
    const auto idx = static_cast<std::size_t>(i);
    plans.push_back({i, roles[idx], spec.cpus.empty() ? kUnpinned : spec.cpus[idx],
                     spec.sample_every, spec.sched});
  }
  std::vector<OwnPages<ThreadContext>> contexts(static_cast<std::size_t>(spec.threads));
  std::vector<ThreadOsCounters> os_counters(static_cast<std::size_t>(spec.threads));
  std::vector<ThreadSched> sched(static_cast<std::size_t>(spec.threads));
  std::vector<std::atomic<std::uint32_t>> bound(static_cast<std::size_t>(spec.threads));
  for (std::atomic<std::uint32_t>& b : bound) b.store(kBindPending, std::memory_order_relaxed);

  // The coordinator (this thread) joins the start barrier, so the clock
  // starts only once every thread exists and is pinned.
  std::barrier<> start(spec.threads + 1);
  // It joins `stopped` too, once it has read the counts after the window:
  // until then every thread is alive (a thread that has exited has no
  // /proc/self/task entry to read).
  std::barrier<> stopped(spec.threads + 1);
  std::barrier<> drained(spec.threads);
  std::atomic<int> phase{kWarmup};
  std::vector<std::thread> team;
  std::string not_created;
  team.reserve(plans.size());
  try {
    for (std::size_t i = 0; i < plans.size(); ++i) {
      team.emplace_back(thread_body, std::cref(topology), std::ref(*workload), std::cref(plans[i]),
                        std::ref(bound[i]), std::ref(contexts[i]), std::ref(os_counters[i]),
                        std::ref(sched[i]), std::ref(start), std::ref(stopped), std::ref(drained),
                        std::cref(phase), spec.progress);
      // Pinned from here, before it has touched any memory (thread_body).
      const int cpu = plans[i].cpu;
      const bool pinned =
          cpu == kUnpinned || topology.bind_thread(team.back().native_handle(), cpu);
      const int error = pinned ? 0 : (errno != 0 ? errno : EINVAL);
      bound[i].store(static_cast<std::uint32_t>(error), std::memory_order_release);
      futex_wake_one(bound[i]);
    }
  } catch (const std::exception& e) {
    // EAGAIN (std::system_error), or no memory for the thread's state
    // (std::bad_alloc). The threads made so far wait at the start barrier:
    // they are let go (the missing ones drop out of it) and leave without
    // running; the barrier orders the store of kAbandon before their load.
    const auto* system = dynamic_cast<const std::system_error*>(&e);
    not_created = "could not create thread " + std::to_string(team.size() + 1) + " of " +
                  std::to_string(spec.threads) + " (" +
                  (system ? system->code().message() : std::string(e.what())) + "); " +
                  thread_limits();
    phase.store(kAbandon, std::memory_order_relaxed);
    for (std::size_t missing = team.size(); missing < plans.size(); ++missing) {
      start.arrive_and_drop();
    }
  }
  // With rr, this thread opens and closes the window above the spinners:
  // as SCHED_OTHER it would wake when RT throttling let it, up to 0.95 s
  // late. Raised after the team is made, which inherits this thread's
  // policy; each member then sets its own (thread_body).
  std::optional<ControlPriority> control;
  control.emplace(spec.sched == SchedPolicy::rr, false);
  start.arrive_and_wait();
  if (!not_created.empty()) {
    for (std::thread& t : team) t.join();
    return RunResult::failed(not_created);
  }
  std::vector<ThreadContext*> threads;
  for (const auto& ctx : contexts) threads.push_back(ctx.get());
  // The barrier orders each thread's bind_errno and sched before these
  // reads.
  std::string unbound = binding_failures(threads);
  if (unbound.empty()) unbound = sched_failures(sched, spec.sched, control->error());
  if (!unbound.empty()) phase.store(kStop, std::memory_order_relaxed);
  if (spec.progress) {
    spec.progress->window_end_ns.store(now_ns() + (spec.warmup_ms + spec.duration_ms) * 1000000,
                                       std::memory_order_relaxed);
  }
  std::uint64_t begin = 0, end = 0;
  std::vector<ThreadOsCounters::Reading> os_before, os_after;
  if (unbound.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(spec.warmup_ms));
    // The counts are read on either side of the window, by this thread:
    // the team pays nothing for them inside it.
    os_before = read_all(os_counters);
    begin = now_ns();
    phase.store(kMeasure, std::memory_order_relaxed);
    std::this_thread::sleep_for(std::chrono::milliseconds(spec.duration_ms));
    phase.store(kStop, std::memory_order_relaxed);
    end = now_ns();
    os_after = read_all(os_counters);
  }
  // Not waiting: the threads drain while this thread goes on to join them.
  (void)stopped.arrive();
  for (std::thread& t : team) t.join();
  control.reset();  // what follows (the hand-off probe's threads) runs as before
  if (!unbound.empty()) return RunResult::failed(unbound);

  RunResult result;
  result.error = workload->check_invariants(threads);
  if (result.error.empty()) {
    result.error = locate_memory(spec, topology, *workload, threads, result.memory_nodes);
  }
  result.valid = result.error.empty();
  if (!result.valid) return result;

  result.seconds = static_cast<double>(end - begin) * 1e-9;
  // After the team is gone, so it touches neither the warm-up nor the
  // window: the host moves vCPUs over seconds, not within a repetition.
  const std::vector<int> probed = probe_cpus(spec, topology);
  if (!probed.empty()) result.handoff_ns = probe_handoff(topology, probed[0], probed[1]);
  for (const ThreadContext* t : threads) {
    result.thread_ops.push_back(t->ops);
    result.cpus_seen.push_back(t->cpu_seen);
  }
  result.ops =
      std::accumulate(result.thread_ops.begin(), result.thread_ops.end(), std::uint64_t{0});
  // Fairness among the threads whose operations count (role 0): producers
  // of a producer/consumer family complete none by definition.
  std::vector<std::uint64_t> counted;
  for (const ThreadContext* t : threads) {
    if (t->role == 0) counted.push_back(t->ops);
  }
  result.fairness = jain_fairness(counted);
  const double mean = static_cast<double>(result.ops) / static_cast<double>(counted.size());
  const auto [lo, hi] = std::minmax_element(counted.begin(), counted.end());
  result.share_min = mean > 0 ? static_cast<double>(*lo) / mean : 0;
  result.share_max = mean > 0 ? static_cast<double>(*hi) / mean : 0;
  const OsActivity activity = OsActivity::between(os_before, os_after, result.ops);
  result.scheduler = activity.scheduler;
  result.hardware = activity.hardware;
  // Every thread's policy gives the same slice; the first thread's says it.
  result.sched_slice = slice_record(spec.sched, sched.front().slice_ns);
  result.latency_ns = summarize_latency(threads);
  result.lock_stats = summarize_locks(threads, info.lock_classes);
  result.counters = summarize_counters(threads, info.counter_names);
  workload->derive_counters(threads, result.seconds, result.counters);
  return result;
}

nlohmann::json RunResult::to_json() const {
  return {{"valid", valid},
          {"error", error},
          {"seconds", seconds},
          {"ops", ops},
          {"thread_ops", thread_ops},
          {"cpus_seen", cpus_seen},
          {"fairness", fairness},
          {"share_min", share_min},
          {"share_max", share_max},
          {"latency_ns", latency_ns},
          {"lock_stats", lock_stats},
          {"counters", counters},
          {"handoff_ns", handoff_ns},
          {"scheduler", scheduler},
          {"hardware", hardware},
          {"memory_nodes", memory_nodes},
          {"sched_slice", sched_slice},
          {"wall_seconds", wall_seconds}};
}

RunResult RunResult::from_json(const nlohmann::json& j) {
  RunResult r;
  r.valid = j.at("valid");
  r.error = j.at("error");
  r.seconds = j.at("seconds");
  r.ops = j.at("ops");
  r.thread_ops = j.at("thread_ops").get<std::vector<std::uint64_t>>();
  r.cpus_seen = j.at("cpus_seen").get<std::vector<int>>();
  r.fairness = j.at("fairness");
  r.share_min = j.at("share_min");
  r.share_max = j.at("share_max");
  r.latency_ns = j.at("latency_ns");
  r.lock_stats = j.at("lock_stats");
  r.counters = j.at("counters");
  r.handoff_ns = j.at("handoff_ns");
  r.scheduler = j.at("scheduler");
  r.hardware = j.at("hardware");
  r.memory_nodes = j.at("memory_nodes");
  r.sched_slice = j.at("sched_slice");
  r.wall_seconds = j.at("wall_seconds");
  return r;
}

RunResult RunResult::failed(std::string error) {
  RunResult r;
  r.error = std::move(error);
  return r;
}

}  // namespace lockbench
