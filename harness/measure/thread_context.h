// What one thread of a point records while it runs. Each thread owns its
// context (padded to a cache line, so recording is never shared traffic);
// the harness merges them after the run.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "harness/measure/calibration.h"
#include "harness/measure/histogram.h"
#include "harness/measure/platform.h"
#include "harness/measure/rng.h"
#include "harness/measure/sampler.h"

namespace lockbench {

// Lock statistics in the spirit of Xen's lock profiling and Linux lockstat,
// for one lock class. Wait and hold times are sampled with the latency.
struct LockClassStats {
  std::uint64_t acquisitions = 0;
  std::uint64_t contention_unknown = 0;  // acquisitions that did not say whether they waited
  std::uint64_t contended = 0;           // acquisitions that found the lock not free on arrival
  std::uint64_t timed = 0;      // acquisitions whose wait and hold were timed
  std::uint64_t wait_ns = 0;    // summed over the timed acquisitions
  std::uint64_t hold_ns = 0;
};

inline constexpr int kMaxLockClasses = 4;
inline constexpr int kMaxCounters = 16;

struct alignas(kCacheLine) ThreadContext {
  // sample_cost_ticks: what timing one operation costs (timing_cost_ticks(),
  // measured once per process; tests pass 0 to sample at sample_every).
  ThreadContext(int index_, int role_, int cpu_, std::uint32_t sample_every_,
                double sample_cost_ticks_ = timing_cost_ticks())
      : index(index_),
        role(role_),
        cpu(cpu_),
        // A stream of its own, apart from the workload's choices (rng).
        sampler(sample_every_, sample_cost_ticks_, ~static_cast<std::uint64_t>(index_)),
        rng(static_cast<std::uint64_t>(index_) + 1) {}

  const int index;
  const int role;  // index into the family's roles
  const int cpu;   // planned CPU (OS index), or -1 when unpinned
  // The workload's record for this thread (ThreadSlots::make_for sets it),
  // one load away on the hot path.
  void* workload_state = nullptr;
  int bind_errno = 0;  // why binding to cpu failed; 0: bound, or unpinned
  int cpu_seen = -1;

  // True in the measured window only (harness/measure/measured_loop.h sets it).
  bool measuring = false;
  std::uint64_t ops = 0;  // measured operations
  // Every operation, warm-up included, set when the loop ends: what checks
  // judged at quiescence count against, so they need no count of their own.
  std::uint64_t all_ops = 0;

  // Which operations are timed; the measured loop drives it, the workload
  // asks it through sample_now() and sample_lock().
  Sampler sampler;

  // Whether this operation is timed (sampler.h).
  bool sample_now() const { return sampler.timing_operation(); }
  // Whether the profiled lock acquisitions of this operation are timed.
  bool sample_lock() const { return sampler.timing_locks(); }
  // Records the latency of an operation sample_now() chose, with its weight.
  void record_latency(std::uint64_t ns) { latency.record(ns, sample_weight()); }
  // The operations a sample taken now stands for.
  std::uint32_t sample_weight() const { return sampler.weight(); }

  Histogram latency;  // of the contended operation, sampled
  std::array<LockClassStats, kMaxLockClasses> locks{};
  std::array<std::uint64_t, kMaxCounters> counters{};  // the family's own figures
  Rng rng;

  // Records one acquisition of lock class `cls`, as soon as lock() returns,
  // so that whether it waited is not carried through the critical section.
  // contended: nullopt from a lock that does not learn it while acquiring.
  // Branches, not sums of flags: an uncontended acquisition by a lock that
  // knows writes one word.
  void lock_acquired(int cls, std::optional<bool> contended) {
    if (!measuring) return;
    LockClassStats& s = locks[static_cast<std::size_t>(cls)];
    ++s.acquisitions;
    if (!contended.has_value()) {
      ++s.contention_unknown;
    } else if (*contended) {
      ++s.contended;
    }
  }
  // Adds the wait and hold of a timed acquisition (chosen by sample_lock(),
  // or by sample_now() where the operation is the acquisition), in
  // cycle_clock ticks.
  void lock_timed(int cls, std::uint64_t wait_ticks, std::uint64_t hold_ticks) {
    if (!measuring) return;
    LockClassStats& s = locks[static_cast<std::size_t>(cls)];
    ++s.timed;
    s.wait_ns += ticks_to_ns(wait_ticks);
    s.hold_ns += ticks_to_ns(hold_ticks);
  }
  void count(int counter, std::uint64_t n = 1) {
    if (measuring) counters[static_cast<std::size_t>(counter)] += n;
  }
};

}  // namespace lockbench
