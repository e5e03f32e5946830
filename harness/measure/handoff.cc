#include "harness/measure/handoff.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "harness/measure/platform.h"

namespace lockbench {

namespace {

// Each pair is measured in kPasses passes over all pairs, kPassGap apart,
// kBatches batches a pass: a host that moves the VM's CPUs for a few
// milliseconds (a 34 ns hand-off read 198 ns once) then spoils a minority of
// a pair's batches, which the median ignores.
constexpr int kPasses = 5;
constexpr auto kPassGap = std::chrono::milliseconds(20);
constexpr int kBatches = 3;
constexpr std::uint64_t kRoundTripsPerBatch = 1000;
constexpr std::uint64_t kProbeRoundTripsPerBatch = 200;
// Where the probe's two threads cannot run at once (a busy machine, a CPU
// quota smaller than the CPUs hwloc shows), each round trip waits for a time
// slice: what it measures is the scheduler, and 600 round trips would take
// seconds. It gives up after this long and reports the time per hand-off so
// far, which marks the repetition as measured on a busy machine.
constexpr std::uint64_t kProbeBudgetNs = 5'000'000;

struct alignas(kCacheLine) Line {
  std::atomic<std::uint64_t> value{0};
};

// The thread on cpu_a writes odd values, the one on cpu_b even ones; each
// waits for the other's. Acquire/release: each hand-off is a real transfer
// of the line, ordered as a lock hand-off is. With a budget (ns, 0: none),
// the thread on cpu_a gives up once it is spent (checking the clock once per
// 1024 spins of a wait and once per 16 round trips, so the check costs the
// hand-off nothing) and tells its partner on a line of its own; the batch it
// gave up in then reads the time per hand-off so far, and the median of the
// batches leans to it: the repetition is marked busy.
std::vector<double> batches(const Topology& topology, int cpu_a, int cpu_b,
                            std::uint64_t round_trips = kRoundTripsPerBatch,
                            std::uint64_t budget_ns = 0) {
  Line line, given_up;
  std::vector<double> ns;
  std::thread partner([&] {
    topology.bind_this_thread(cpu_b);
    for (std::uint64_t v = 1; v < 2 * kBatches * round_trips; v += 2) {
      spin_until([&] {
        return line.value.load(std::memory_order_acquire) == v ||
               given_up.value.load(std::memory_order_relaxed) != 0;
      });
      if (given_up.value.load(std::memory_order_relaxed) != 0) return;
      line.value.store(v + 1, std::memory_order_release);
    }
  });
  topology.bind_this_thread(cpu_a);
  const std::uint64_t deadline = budget_ns ? now_ns() + budget_ns : 0;
  std::uint64_t next = 0;
  for (int b = 0; b < kBatches && !given_up.value.load(std::memory_order_relaxed); ++b) {
    const std::uint64_t start = now_ns();
    std::uint64_t done = 0;
    for (; done < round_trips; ++done) {
      line.value.store(next + 1, std::memory_order_release);
      next += 2;
      std::uint32_t spins = 0;
      spin_until([&] {
        if (line.value.load(std::memory_order_acquire) == next) return true;
        if (deadline == 0 || (++spins & 1023) != 0 || now_ns() < deadline) return false;
        given_up.value.store(1, std::memory_order_relaxed);
        return true;
      });
      // Round trips each slow but under 1024 spins: the clock every 16.
      if (deadline != 0 && (done & 15) == 15 && now_ns() >= deadline) {
        given_up.value.store(1, std::memory_order_relaxed);
      }
      if (given_up.value.load(std::memory_order_relaxed)) break;
    }
    ns.push_back(static_cast<double>(now_ns() - start) /
                 (2.0 * static_cast<double>(std::max<std::uint64_t>(done, 1))));
  }
  partner.join();
  return ns;
}

double median(std::vector<double> ns) {
  std::nth_element(ns.begin(), ns.begin() + static_cast<long>(ns.size() / 2), ns.end());
  return ns[ns.size() / 2];
}

}  // namespace

double HandoffMatrix::fastest_ns() const {
  double fastest = 0;
  for (std::size_t i = 0; i < ns.size(); ++i) {
    for (std::size_t j = 0; j < ns.size(); ++j) {
      if (i != j && (fastest == 0 || ns[i][j] < fastest)) fastest = ns[i][j];
    }
  }
  return fastest;
}

double probe_handoff(const Topology& topology, int cpu_a, int cpu_b) {
  double ns = 0;
  // A thread of its own: the measuring thread is pinned to cpu_a.
  std::thread([&] {
    ns = median(batches(topology, cpu_a, cpu_b, kProbeRoundTripsPerBatch, kProbeBudgetNs));
  }).join();
  return ns;
}

HandoffMatrix measure_handoffs(const Topology& topology, std::vector<int> cpus) {
  if (cpus.size() > kMaxHandoffCpus) {
    std::vector<int> spread;
    for (std::size_t i = 0; i < kMaxHandoffCpus; ++i) {
      spread.push_back(cpus[i * cpus.size() / kMaxHandoffCpus]);
    }
    cpus = spread;
  }
  HandoffMatrix m;
  m.cpus = cpus;
  m.ns.assign(cpus.size(), std::vector<double>(cpus.size(), 0.0));
  // Batches per pair, over the passes. The measuring thread is re-pinned
  // for each pair, so it is a thread of its own.
  std::vector<std::vector<std::vector<double>>> ns(
      cpus.size(), std::vector<std::vector<double>>(cpus.size()));
  std::thread([&] {
    for (int pass = 0; pass < kPasses; ++pass) {
      if (pass > 0) std::this_thread::sleep_for(kPassGap);
      for (std::size_t i = 0; i < cpus.size(); ++i) {
        for (std::size_t j = i + 1; j < cpus.size(); ++j) {
          const std::vector<double> more = batches(topology, cpus[i], cpus[j]);
          ns[i][j].insert(ns[i][j].end(), more.begin(), more.end());
        }
      }
    }
  }).join();
  for (std::size_t i = 0; i < cpus.size(); ++i) {
    for (std::size_t j = i + 1; j < cpus.size(); ++j) m.ns[i][j] = m.ns[j][i] = median(ns[i][j]);
  }
  return m;
}

}  // namespace lockbench
