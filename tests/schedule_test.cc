// The order of a sweep's repetitions: variants of one group interleaved in
// rounds, adaptive repetitions stopping when the median is known, and an
// interruption keeping only the points that were done.
#include "harness/sweep/schedule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace lockbench {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAreArray;

Sweep TwoVariantsTwoThreadCounts() {
  const nlohmann::json config = {
      {"name", "test"},
      {"sweeps",
       {{{"family", "spinlock"}, {"variants", {"ticket", "mcs"}}, {"threads", {1, 2}}}}}};
  return expand_sweep(config, {}, Topology::load("synthetic:pack:1 core:2 pu:1"));
}

RunResult RunAt(double ops_per_sec) {
  RunResult r;
  r.valid = true;
  r.seconds = 1;
  r.ops = static_cast<std::uint64_t>(ops_per_sec);
  return r;
}

std::vector<RunResult> Runs(const std::vector<double>& rates) {
  std::vector<RunResult> runs;
  for (double rate : rates) runs.push_back(RunAt(rate));
  return runs;
}

TEST(VariantGroupsTest, GroupsPointsThatDifferOnlyInVariant) {
  const Sweep sweep = TwoVariantsTwoThreadCounts();
  ASSERT_EQ(sweep.points.size(), 4u);
  for (const std::vector<std::size_t>& group : variant_groups(sweep)) {
    ASSERT_EQ(group.size(), 2u);
    const Point& a = sweep.points[group[0]];
    const Point& b = sweep.points[group[1]];
    EXPECT_EQ(a.threads, b.threads);
    EXPECT_NE(a.variant->name, b.variant->name);
  }
}

TEST(NeedsRepetitionTest, FixedCountsAndFailuresStop) {
  RunSettings fixed;
  fixed.repetitions = 3;
  EXPECT_TRUE(needs_repetition(fixed, Runs({1, 2})));
  EXPECT_FALSE(needs_repetition(fixed, Runs({1, 2, 3})));
  std::vector<RunResult> failed = Runs({1});
  failed.push_back(RunResult::failed("INV1"));
  EXPECT_FALSE(needs_repetition(fixed, failed));
}

TEST(NeedsRepetitionTest, AdaptiveStopsWhenStableOrAtTheCap) {
  RunSettings adaptive;
  adaptive.adaptive = true;
  adaptive.target_ci = 0.05;
  adaptive.max_repetitions = 8;
  EXPECT_TRUE(needs_repetition(adaptive, Runs({100, 100})));
  // Tight, but no 95% interval before 6 repetitions.
  EXPECT_TRUE(needs_repetition(adaptive, Runs({100, 101, 99, 100, 100})));
  EXPECT_FALSE(needs_repetition(adaptive, Runs({100, 101, 99, 100, 100, 102})));
  EXPECT_TRUE(needs_repetition(adaptive, Runs({100, 150, 80, 120, 100, 60})));
  EXPECT_FALSE(needs_repetition(adaptive, Runs({100, 150, 80, 120, 100, 60, 90, 130})));
}

TEST(RunGroupTest, RoundsInterleaveTheVariantsInChangingOrders) {
  RunSettings settings;
  settings.repetitions = 12;
  std::vector<PointLog> logs(3);
  std::vector<std::size_t> order;
  std::mt19937_64 rng(1);
  run_group(
      {0, 1, 2}, settings, logs,
      [&](std::size_t i) {
        order.push_back(i);
        return RunAt(100);
      },
      [] { return false; }, rng);
  ASSERT_EQ(order.size(), 36u);
  std::set<std::vector<std::size_t>> orders;
  for (std::size_t round = 0; round < 12; ++round) {
    const std::vector<std::size_t> one(order.begin() + static_cast<long>(3 * round),
                                       order.begin() + static_cast<long>(3 * round + 3));
    EXPECT_THAT(one, UnorderedElementsAreArray({0u, 1u, 2u})) << "round " << round;
    orders.insert(one);
  }
  EXPECT_GT(orders.size(), 1u);
  for (const PointLog& log : logs) EXPECT_EQ(log.runs.size(), 12u);
}

TEST(RunGroupTest, AnInterruptionKeepsOnlyThePointsThatWereDone) {
  RunSettings settings;
  settings.repetitions = 2;
  std::vector<PointLog> logs(2);
  logs[0].runs = Runs({100, 100});  // done before the interruption
  int measured = 0;
  std::mt19937_64 rng(1);
  run_group(
      {0, 1}, settings, logs,
      [&](std::size_t) {
        ++measured;
        return RunAt(100);
      },
      [&] { return measured == 1; }, rng);
  EXPECT_EQ(measured, 1);
  EXPECT_FALSE(logs[0].interrupted);
  EXPECT_TRUE(logs[1].interrupted);
  EXPECT_TRUE(logs[1].runs.empty());  // the run the signal cut short is dropped
}

}  // namespace
}  // namespace lockbench
