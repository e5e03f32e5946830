// Which operations a thread times: every one of the first kMinSamples, then
// geometric gaps of the asked mean (wider where timing would cost over its
// budget), operations and lock acquisitions in turn; and the measured loop
// raising exactly one flag for each operation it samples.
#include "harness/measure/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <set>
#include <vector>

#include "harness/measure/measured_loop.h"
#include "harness/measure/thread_context.h"

namespace lockbench {
namespace {

// Runs the learning stretch: every operation timed, each standing for itself.
void learn(Sampler& sampler) {
  sampler.start();
  for (std::uint32_t i = 1; i < Sampler::kMinSamples; ++i) {
    ASSERT_EQ(sampler.next_target(), Sampler::Target::operation);
    ASSERT_EQ(sampler.weight(), 1u);
    ASSERT_EQ(sampler.untimed_after_sample(), 0u) << i;
  }
}

// Gaps vary (no stride to alias with a cycle of operations) around the
// asked mean. (Timing costs nothing here, so the gap is not widened.)
TEST(SamplerTest, GapsAreGeometricWithTheAskedMean) {
  Sampler sampler(64, 0.0, 1);
  learn(sampler);
  std::vector<std::uint32_t> gaps;
  for (int i = 0; i < 20000; ++i) gaps.push_back(sampler.untimed_after_sample() + 1);
  double sum = 0;
  for (std::uint32_t g : gaps) sum += g;
  EXPECT_NEAR(sum / static_cast<double>(gaps.size()), 64, 2);
  EXPECT_GT(std::set<std::uint32_t>(gaps.begin(), gaps.end()).size(), 100u);
  EXPECT_EQ(*std::min_element(gaps.begin(), gaps.end()), 1u);
  EXPECT_EQ(sampler.weight(), 128u);  // every other sample times the operation
}

TEST(SamplerTest, AfterLearningOperationsAndLocksAreTimedInTurn) {
  Sampler sampler(8, 0.0, 1);
  learn(sampler);
  sampler.untimed_after_sample();
  int operations = 0, locks = 0;
  Sampler::Target last = sampler.next_target();
  for (int i = 0; i < 100; ++i) {
    const Sampler::Target now = sampler.next_target();
    if (i > 0) {
      EXPECT_NE(now, last) << i;
    }
    (now == Sampler::Target::operation ? operations : locks) += 1;
    last = now;
    sampler.untimed_after_sample();
  }
  EXPECT_EQ(operations, 50);
  EXPECT_EQ(locks, 50);
}

// The gap widens where timing would cost over 1% of a thread's time, and
// never narrows below sample_every.
TEST(SamplerTest, TheGapKeepsTimingWithinItsBudget) {
  EXPECT_EQ(Sampler::gap_for(64, 10, 40), 400u);
  EXPECT_EQ(Sampler::gap_for(64, 1e6, 40), 64u);
  EXPECT_EQ(Sampler::gap_for(64, -5, 40), 4000u);  // timing was most of the time
}

TEST(SamplerTest, AFastThreadSamplesLess) {
  Sampler sampler(64, 1e6, 1);  // timing "costs" a million ticks
  learn(sampler);
  sampler.untimed_after_sample();
  EXPECT_GT(sampler.gap(), 64u);
  EXPECT_EQ(sampler.weight(), 2 * sampler.gap());
}

// The loop raises one flag per sampled operation, never both, and lowers it
// after; the latency samples' weights add up to about the operations run.
TEST(MeasuredLoopTest, RaisesOneFlagPerSampledOperation) {
  ThreadContext ctx(0, 0, -1, 16, 0.0);
  std::atomic<int> phase{kMeasure};
  std::uint64_t steps = 0, both = 0, timed_ops = 0, timed_locks = 0, weights = 0;
  run_measured_loop(ctx, phase, [&](ThreadContext& c) -> std::uint64_t {
    both += c.sample_now() && c.sample_lock();
    timed_locks += c.sample_lock();
    if (c.sample_now()) {
      ++timed_ops;
      weights += c.sample_weight();
    }
    if (++steps == 200000) phase.store(kStop, std::memory_order_relaxed);
    return 1;
  });
  EXPECT_EQ(ctx.ops, steps);
  EXPECT_EQ(both, 0u);
  EXPECT_FALSE(ctx.sample_now() || ctx.sample_lock());
  EXPECT_GT(timed_ops, Sampler::kMinSamples);
  EXPECT_GT(timed_locks, 1000u);  // about (200000 - 256) / 16 / 2
  EXPECT_NEAR(static_cast<double>(weights), static_cast<double>(steps),
              0.1 * static_cast<double>(steps));
}

// Warm-up steps are neither timed nor counted; the window's are.
TEST(MeasuredLoopTest, WarmUpIsNeitherTimedNorCounted) {
  ThreadContext ctx(0, 0, -1, 16, 0.0);
  std::atomic<int> phase{kWarmup};
  std::uint64_t steps = 0, timed_in_warmup = 0;
  run_measured_loop(ctx, phase, [&](ThreadContext& c) -> std::uint64_t {
    if (!c.measuring) timed_in_warmup += c.sample_now() || c.sample_lock();
    if (++steps == 1000) phase.store(kMeasure, std::memory_order_relaxed);
    if (steps == 3000) phase.store(kStop, std::memory_order_relaxed);
    return 1;
  });
  EXPECT_EQ(timed_in_warmup, 0u);
  EXPECT_EQ(ctx.ops, 2000u);      // steps 1001 to 3000
  EXPECT_EQ(ctx.all_ops, 3000u);  // what checks at quiescence count against
  EXPECT_FALSE(ctx.measuring);
}

// A team stopped before it saw the window (its steps outlasted warm-up and
// window) measured nothing, whatever it did in warm-up.
TEST(MeasuredLoopTest, StoppedInWarmUpMeasuresNothing) {
  ThreadContext ctx(0, 0, -1, 16, 0.0);
  std::atomic<int> phase{kWarmup};
  int steps = 0;
  run_measured_loop(ctx, phase, [&](ThreadContext&) -> std::uint64_t {
    if (++steps == 10) phase.store(kStop, std::memory_order_relaxed);
    return 1;
  });
  EXPECT_EQ(steps, 10);
  EXPECT_EQ(ctx.ops, 0u);
  EXPECT_EQ(ctx.all_ops, 10u);
}

// A team abandoned before the window runs no step.
TEST(MeasuredLoopTest, AnAbandonedTeamRunsNothing) {
  ThreadContext ctx(0, 0, -1, 16, 0.0);
  std::atomic<int> phase{kAbandon};
  int steps = 0;
  run_measured_loop(ctx, phase, [&](ThreadContext&) -> std::uint64_t { return ++steps; });
  EXPECT_EQ(steps, 0);
  EXPECT_EQ(ctx.ops, 0u);
}

}  // namespace
}  // namespace lockbench
