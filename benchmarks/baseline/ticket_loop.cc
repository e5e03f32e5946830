// The spinlock family's ticket lock in the smallest loop that measures it:
// no harness, no bookkeeping, no checks. Threads pinned (hwloc, compact:
// thread i on the i-th PU) take the lock, bump the counter it protects and
// release it, as fast as they can; the result is operations per second over
// a fixed window. scripts/efficiency runs it beside `lockbench run ...
// --variant ticket --set cs_ns=0 --set ncs_ns=0 --placement compact`, so the
// ratio of the two is what the harness costs.
//
// A reference must not be beaten by accident: every word more than one
// thread touches (the phase, the lock word, the protected counter, each
// thread's result) is on a line of its own, and a thread counts in a
// register. benchmarks/baseline/ticket_loop_c.c is the same measurement
// written independently (C, its own lock and pinning); the test suite
// checks that the two agree.
//
// usage: lockbench-baseline THREADS DURATION_MS
// prints: {"threads": N, "seconds": S, "ops": K, "ops_per_sec": R}
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "benchmarks/locks/ticket_lock.h"
#include "harness/measure/platform.h"
#include "harness/measure/topology.h"

namespace {

enum Phase : int { kWarmup, kMeasure, kStop };

template <typename T>
struct alignas(lockbench::kCacheLine) OwnLine {
  T value{};
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s THREADS DURATION_MS\n", argv[0]);
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  const int duration_ms = std::atoi(argv[2]);
  const lockbench::Topology topology = lockbench::Topology::load("");
  if (threads < 1 || threads > static_cast<int>(topology.pus().size()) || duration_ms < 1) {
    std::fprintf(stderr, "THREADS: 1..%zu, DURATION_MS: 1 or more\n", topology.pus().size());
    return 2;
  }
  lockbench::TicketLock lock(lockbench::LockSetup{.threads = threads});  // aligned to a line
  OwnLine<std::atomic<int>> phase;
  OwnLine<std::uint64_t> protected_data;
  std::vector<OwnLine<std::uint64_t>> counts(static_cast<std::size_t>(threads));
  std::barrier<> start(threads + 1);
  std::vector<std::thread> team;
  for (int i = 0; i < threads; ++i) {
    team.emplace_back([&, i] {
      topology.bind_this_thread(topology.pus()[static_cast<std::size_t>(i)].os_index);
      start.arrive_and_wait();
      auto step = [&] {
        lock.lock(i);
        ++protected_data.value;
        lock.unlock(i);
      };
      while (phase.value.load(std::memory_order_relaxed) == kWarmup) step();
      std::uint64_t ops = 0;
      while (phase.value.load(std::memory_order_relaxed) == kMeasure) {
        step();
        ++ops;
      }
      counts[static_cast<std::size_t>(i)].value = ops;
    });
  }
  start.arrive_and_wait();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const std::uint64_t begin = lockbench::now_ns();
  phase.value.store(kMeasure, std::memory_order_relaxed);
  std::this_thread::sleep_for(std::chrono::milliseconds(duration_ms));
  phase.value.store(kStop, std::memory_order_relaxed);
  const std::uint64_t end = lockbench::now_ns();
  for (std::thread& t : team) t.join();
  std::uint64_t ops = 0;
  for (const auto& c : counts) ops += c.value;
  const double seconds = static_cast<double>(end - begin) * 1e-9;
  std::printf("{\"threads\": %d, \"seconds\": %.6f, \"ops\": %llu, \"ops_per_sec\": %.1f}\n",
              threads, seconds, static_cast<unsigned long long>(ops),
              static_cast<double>(ops) / seconds);
  return 0;
}
