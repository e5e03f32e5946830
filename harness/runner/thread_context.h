// What one thread of a point records while it runs. Each thread owns its
// context (padded to a cache line, so recording is never shared traffic);
// the harness merges them after the run.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>

#include "harness/runner/calibration.h"
#include "harness/runner/histogram.h"
#include "harness/runner/platform.h"
#include "harness/runner/rng.h"

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
        sample_every(sample_every_),
        sample_cost_ticks(sample_cost_ticks_),
        rng(static_cast<std::uint64_t>(index_) + 1) {
    set_sample_gap(sample_every_);
  }

  const int index;
  const int role;  // index into the family's roles
  const int cpu;   // planned CPU (OS index), or -1 when unpinned
  // The workload's record for this thread (ThreadSlots::make_for sets it),
  // one load away on the hot path.
  void* workload_state = nullptr;
  int bind_errno = 0;  // why binding to cpu failed; 0: bound, or unpinned
  int cpu_seen = -1;

  // True in the measured window only (harness/runner/measured_loop.h sets it).
  bool measuring = false;
  std::uint64_t ops = 0;  // measured operations

  // Which measured operations are timed: the first kMinSamples (so slow,
  // collapsed points still get percentiles), then one in sample_gap on
  // average. sample_gap is sample_every, or more where timing an operation
  // (sample_cost_ticks) would take over kTimingBudget of the thread's time
  // (its pace is learnt over those first operations): a fast point is not
  // slowed by reading the clock. The gaps are geometric, drawn afresh each
  // time: a fixed stride would time the same operation of a cycle over and
  // over (the same tasklet of a round-robin). A sample stands for the
  // operations it was drawn from (sample_weight(): 1, then sample_gap), so a
  // starved thread's few operations do not weigh like a busy thread's many
  // in the percentiles.
  static constexpr std::uint32_t kMinSamples = 256;
  static constexpr double kTimingBudget = 0.01;
  const std::uint32_t sample_every;
  const double sample_cost_ticks;
  std::uint32_t sample_gap = 1;
  double gap_scale = 0;         // 1 / log(1 - 1/sample_gap), for geometric_gap
  std::uint32_t countdown = 0;  // 0 while the first kMinSamples are timed
  std::uint32_t timed_every = 0;
  std::uint64_t first_timed_tick = 0;

  bool sample_now() {
    if (!measuring) return false;
    if (countdown == 0) [[unlikely]] return time_every_operation();
    if (--countdown != 0) return false;
    countdown = geometric_gap();
    return true;
  }
  // Records the latency of an operation sample_now() chose, with its weight.
  void record_latency(std::uint64_t ns) { latency.record(ns, sample_weight()); }
  // The operations a sample taken now stands for.
  std::uint32_t sample_weight() const { return countdown == 0 ? 1 : sample_gap; }

  // The mean gap between timed operations for a thread that spends
  // op_ticks per operation, when timing one costs cost_ticks.
  static std::uint32_t sampling_gap(std::uint32_t sample_every, double op_ticks,
                                    double cost_ticks) {
    const double budgeted = std::ceil(cost_ticks / (kTimingBudget * std::max(op_ticks, 1.0)));
    return static_cast<std::uint32_t>(std::clamp(budgeted, static_cast<double>(sample_every), 1e6));
  }

  // Operations until the next sample: geometric with mean sample_gap
  // (Bernoulli trials of chance 1/sample_gap), at least 1.
  std::uint32_t geometric_gap() {
    if (sample_gap <= 1) return 1;
    const double uniform = (static_cast<double>(rng.next() >> 11) + 0.5) * 0x1.0p-53;  // (0, 1)
    const double gap = std::ceil(std::log(uniform) * gap_scale);
    return static_cast<std::uint32_t>(std::clamp(gap, 1.0, 1e9));
  }

  // Which acquisitions of profiled locks (lock_timed) are
  // timed: each with chance 1/sample_gap, counted separately from
  // operations (the wait and hold means weigh every acquisition alike).
  std::uint32_t lock_countdown = 1;
  bool sample_lock() {
    if (!measuring || --lock_countdown != 0) return false;
    lock_countdown = geometric_gap();
    return true;
  }

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

 private:
  void set_sample_gap(std::uint32_t gap) {
    sample_gap = std::max<std::uint32_t>(gap, 1);
    gap_scale = sample_gap > 1 ? 1.0 / std::log1p(-1.0 / sample_gap) : 0.0;
  }
  // Times each of the first kMinSamples operations; the next one ends that,
  // sets sample_gap from the pace of those operations (less what timing them
  // cost) and starts the countdown.
  bool time_every_operation() {
    if (timed_every == 0) first_timed_tick = cycle_clock();
    if (timed_every < kMinSamples) {
      ++timed_every;
      return true;
    }
    const double op_ticks =
        static_cast<double>(cycle_clock() - first_timed_tick) / kMinSamples - sample_cost_ticks;
    set_sample_gap(sampling_gap(sample_every, op_ticks, sample_cost_ticks));
    countdown = geometric_gap();
    return false;
  }
};

}  // namespace lockbench
