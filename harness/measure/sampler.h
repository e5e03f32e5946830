// Which measured operations a thread times. The measured loop
// (measured_loop.h) asks the sampler after each timed operation how many to
// leave untimed, counts them down in a register and raises a flag here for
// the next timed one: an untimed operation reads a flag and writes nothing. (A countdown kept in
// memory and decremented by every operation cost a quarter of an uncontended ticket-lock
// acquisition: the next locked instruction waits for that store.)
//
// The first kMinSamples operations of the window are all timed, so slow,
// collapsed points still get percentiles; then one in `gap` on average,
// where gap is sample_every, or more where timing (cost_ticks) would take
// over kTimingBudget of the thread's time (its pace is learnt over those
// first operations): a fast point is not slowed by reading the clock. Gaps
// are geometric, drawn afresh each time: a fixed stride would time the same
// operation of a cycle over and over (the same tasklet of a round-robin).
// After the first kMinSamples, sampled operations time either the operation
// or the lock acquisitions inside it, in turn, so that neither timing is
// inside the other's interval.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "harness/measure/platform.h"
#include "harness/measure/rng.h"

namespace lockbench {

class Sampler {
 public:
  enum class Target { operation, locks };
  static constexpr std::uint32_t kMinSamples = 256;
  static constexpr double kTimingBudget = 0.01;

  Sampler(std::uint32_t sample_every, double cost_ticks, std::uint64_t seed)
      : sample_every_(std::max<std::uint32_t>(sample_every, 1)),
        cost_ticks_(cost_ticks),
        rng_(seed) {
    set_gap(sample_every_);
  }

  // The window opens: the next kMinSamples operations are timed.
  void start() {
    learnt_ = 0;
    taken_ = 0;
    first_tick_ = cycle_clock();
  }

  // What the next sampled operation times.
  Target next_target() const {
    return learning() || taken_ % 2 == 0 ? Target::operation : Target::locks;
  }

  // A sampled operation is done: how many to leave untimed before the next.
  std::uint32_t untimed_after_sample() {
    ++taken_;
    if (learning()) {
      if (++learnt_ < kMinSamples) return 0;
      const double op_ticks =
          static_cast<double>(cycle_clock() - first_tick_) / kMinSamples - cost_ticks_;
      set_gap(gap_for(sample_every_, op_ticks, cost_ticks_));
    }
    return geometric_gap() - 1;
  }

  // The measured loop's calls around an operation it samples: begin raises
  // the flag of what the operation times, end lowers it and says how many
  // operations to leave untimed before the next sample.
  void begin_sample() {
    (next_target() == Target::operation ? timing_operation_ : timing_locks_) = true;
  }
  std::uint32_t end_sample() {
    timing_operation_ = timing_locks_ = false;
    return untimed_after_sample();
  }
  // Whether the operation in progress is timed, or its lock acquisitions:
  // one flag read, all an untimed operation pays for sampling.
  bool timing_operation() const { return timing_operation_; }
  bool timing_locks() const { return timing_locks_; }

  // The operations one timed operation stands for: 1 while learning, then
  // twice the gap (every other sample times the operation).
  std::uint32_t weight() const { return learning() ? 1 : 2 * gap_; }
  std::uint32_t gap() const { return gap_; }

  // The mean gap between samples for a thread that spends op_ticks per
  // operation, when timing one costs cost_ticks.
  static std::uint32_t gap_for(std::uint32_t sample_every, double op_ticks, double cost_ticks) {
    const double budgeted = std::ceil(cost_ticks / (kTimingBudget * std::max(op_ticks, 1.0)));
    return static_cast<std::uint32_t>(std::clamp(budgeted, static_cast<double>(sample_every), 1e6));
  }

 private:
  bool learning() const { return learnt_ < kMinSamples; }

  void set_gap(std::uint32_t gap) {
    gap_ = std::max<std::uint32_t>(gap, 1);
    gap_scale_ = gap_ > 1 ? 1.0 / std::log1p(-1.0 / gap_) : 0.0;
  }

  // Geometric with mean gap_ (Bernoulli trials of chance 1/gap_), at least 1.
  std::uint32_t geometric_gap() {
    if (gap_ <= 1) return 1;
    const double uniform = (static_cast<double>(rng_.next() >> 11) + 0.5) * 0x1.0p-53;  // (0, 1)
    const double gap = std::ceil(std::log(uniform) * gap_scale_);
    return static_cast<std::uint32_t>(std::clamp(gap, 1.0, 1e9));
  }

  bool timing_operation_ = false;
  bool timing_locks_ = false;
  const std::uint32_t sample_every_;
  const double cost_ticks_;
  Rng rng_;
  std::uint32_t gap_ = 1;
  double gap_scale_ = 0;  // 1 / log(1 - 1/gap_)
  std::uint32_t learnt_ = 0;
  std::uint64_t taken_ = 0;
  std::uint64_t first_tick_ = 0;
};

}  // namespace lockbench
