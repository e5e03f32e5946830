// The loop every thread of a point runs: a family's operation, repeated
// through warm-up and the measured window until the run stops.
//
// It is compiled with each workload (Workload::run, below in
// LoopedWorkload), so a step is a direct, inlinable call, and it writes
// nothing per step that the modelled system would not: `measuring` changes
// twice per run, not every step, and the operation count and the countdown
// to the next timed operation stay in registers (harness/runner/sampler.h). On x86 every store before a locked instruction must drain before
// it, so each store the harness adds per step lengthens an uncontended
// acquisition; a bare ticket-lock loop (benchmarks/baseline) is the yardstick.
#pragma once

#include <atomic>
#include <cstdint>

#include "harness/runner/thread_context.h"

namespace lockbench {

// What the coordinator tells the threads; relaxed loads and stores: a thread
// that sees a change a little late only runs one more step in the old phase,
// and the window is timed by the coordinator, not by the threads. kAbandon:
// the team could not be made whole (a thread could not be created); the
// threads that exist leave without running.
enum Phase : int { kWarmup, kMeasure, kStop, kAbandon };

template <typename Step>
void run_measured_loop(ThreadContext& ctx, const std::atomic<int>& phase, Step&& step) {
  while (phase.load(std::memory_order_relaxed) == kWarmup) step(ctx);
  ctx.measuring = true;
  ctx.sampler.start();
  std::uint64_t ops = 0;
  std::uint32_t untimed = 0;  // operations before the next timed one
  // One call of step, so that it is inlined once; the sampling branches are
  // taken about once in a hundred operations.
  while (phase.load(std::memory_order_relaxed) == kMeasure) {
    if (untimed == 0) [[unlikely]] ctx.start_sample();
    ops += step(ctx);
    if (untimed == 0) [[unlikely]] {
      untimed = ctx.end_sample();
    } else {
      --untimed;
    }
  }
  ctx.measuring = false;
  ctx.ops = ops;
}

}  // namespace lockbench
