// What the OS did to a point's threads while its window was open: context
// switches (voluntary: the thread blocked, in a futex wait or a sleep;
// involuntary: it was preempted), CPU migrations, and where the kernel lets
// a process count them, cycles, instructions and cache misses. More threads
// than CPUs measures the scheduler as much as the lock: these say how much.
//
// The kernel counts, per thread; the coordinator reads the counts just
// before the window opens and just after it closes, so no thread does
// anything for them inside the window. Each thread opens its counters
// itself, before the team starts.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace lockbench {

// One thread's counters: the kernel's per-thread switch and migration
// counts (/proc/self/task/TID/status and sched), and hardware perf events
// where they open (a VM or a paranoid kernel refuses them).
class ThreadOsCounters {
 public:
  // On the thread to be counted.
  static ThreadOsCounters open_for_this_thread();
  ThreadOsCounters() = default;
  ThreadOsCounters(ThreadOsCounters&& other) noexcept;
  ThreadOsCounters& operator=(ThreadOsCounters&& other) noexcept;
  ThreadOsCounters(const ThreadOsCounters&) = delete;
  ThreadOsCounters& operator=(const ThreadOsCounters&) = delete;
  ~ThreadOsCounters();

  // What the counts are now; from any thread of the process.
  struct Reading {
    std::uint64_t ns = 0;  // when it was taken (now_ns)
    std::uint64_t voluntary = 0, involuntary = 0;
    bool switches_known = false;
    std::uint64_t migrations = 0;
    bool migrations_known = false;
    std::array<std::uint64_t, 3> hardware{};  // cycles, instructions, cache misses
    bool hardware_known = false;
  };
  Reading read() const;

 private:
  pid_t tid_ = 0;
  int hardware_fd_ = -1;  // the group leader (cycles); the others read with it
  std::array<int, 2> hardware_members_{-1, -1};
};

// The team's counts between two readings, as the results carry them:
// `scheduler` {voluntary_switches, involuntary_switches, migrations,
// switches_per_op, seconds} and `hardware` {cycles_per_op, ...}, each
// "not available" where a thread's counters could not say.
struct OsActivity {
  nlohmann::json scheduler = "not available";
  nlohmann::json hardware = "not available";

  static OsActivity between(const std::vector<ThreadOsCounters::Reading>& before,
                            const std::vector<ThreadOsCounters::Reading>& after, std::uint64_t ops);
};

}  // namespace lockbench
