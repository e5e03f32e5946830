// The loop every thread of a point runs: a family's operation, repeated
// through warm-up and the measured window until the run stops.
//
// It is compiled with each workload (Workload::run, below in
// LoopedWorkload), so a step is a direct, inlinable call, and it writes
// nothing per step that the modelled system would not: `measuring` changes
// twice per run, not every step, and the operation count and the countdown
// to the next timed operation stay in registers (harness/measure/sampler.h). On x86 every store before a locked instruction must drain before
// it, so each store the harness adds per step lengthens an uncontended
// acquisition; a bare ticket-lock loop (benchmarks/baseline) is the yardstick.
#pragma once

#include <atomic>
#include <cstdint>

#include "harness/measure/thread_context.h"

namespace lockbench {

// What the coordinator tells the threads; relaxed loads and stores: a thread
// that sees a change a little late only runs one more step in the old phase,
// and the window is timed by the coordinator, not by the threads. kAbandon:
// the team could not be made whole (a thread could not be created); the
// threads that exist leave without running.
enum Phase : int { kWarmup, kMeasure, kStop, kAbandon };

// One loop for warm-up and window, with one call of step: with two (a
// warm-up loop, then the measured one) the compiler inlined the step into
// one and called it from the other, and which one moved with unrelated
// changes: the queued spinlock's 1-thread throughput by 15%. Forcing every
// call inline instead (flatten) slowed the PV queued lock's slow path by 20%.
template <typename Step>
void run_measured_loop(ThreadContext& ctx, const std::atomic<int>& phase, Step&& step) {
  std::uint64_t ops = 0, warmup_ops = 0;
  // Operations before the next timed one; in warm-up none is timed.
  std::uint32_t untimed = ~0u;
  int seen = kWarmup;
  for (;;) {
    const int now = phase.load(std::memory_order_relaxed);
    if (now != seen) [[unlikely]] {
      if (seen != kWarmup || now != kMeasure) break;  // stopped, or abandoned
      seen = kMeasure;
      ctx.measuring = true;
      ctx.sampler.start();
      warmup_ops = ops;
      ops = 0;
      untimed = 0;
    }
    // The sampling branches are taken about once in a hundred operations.
    if (untimed == 0 && seen == kMeasure) [[unlikely]]
      ctx.sampler.begin_sample();
    ops += step(ctx);
    if (untimed == 0) [[unlikely]] {
      untimed = seen == kMeasure ? ctx.sampler.end_sample() : ~0u;
    } else {
      --untimed;
    }
  }
  ctx.measuring = false;
  ctx.ops = seen == kMeasure ? ops : 0;  // a team stopped in warm-up measured nothing
  ctx.all_ops = warmup_ops + ops;
}

}  // namespace lockbench
