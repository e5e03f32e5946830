// Correctness stress of the tasklet family under oversubscription: local,
// cross-CPU and producer/consumer scheduling with kills during the drain; the
// invariants must hold for the correct variants and catch the broken one.
// Also: the producer:consumer split assigns roles and packages as planned.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "harness/measure/run_point.h"
#include "harness/measure/topology.h"
#include "harness/sweep/sweep.h"
#include "tests/run_spec.h"

namespace lockbench {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

struct Case {
  std::string name;
  json params;
  int threads;
};

const Case kCases[] = {
    {"local", {}, 8},
    {"remote", {{"remote_pct", 50}, {"work_ns", 500}, {"tasklets_per_cpu", 2}}, 8},
    {"producers", {{"ratio", "1:1"}, {"tasklets_per_cpu", 3}}, 6},
    {"few_producers", {{"ratio", "1:3"}, {"remote_pct", 30}}, 8},
};

class TaskletStressTest : public ::testing::TestWithParam<std::tuple<std::string, Case>> {};

TEST_P(TaskletStressTest, InvariantsHoldOversubscribed) {
  const auto& [variant, c] = GetParam();
  const RunResult r =
      run_point_isolated(DefaultSpec("tasklet", variant, c.threads, c.params), Topology::load(""));
  // Oversubscribed, a window can see no operation at all (the global ticket
  // lock collapses; under a sanitizer or qemu any thread may not run): the
  // invariants, checked over warm-up, window and drain, are what this tests,
  // and that each design takes only its own lock.
  ASSERT_TRUE(r.valid) << r.error;
  const double global = r.lock_stats.at("tasklet_lock").at("acquisitions").get<double>();
  const double feeder = r.lock_stats.at("feeder_lock").at("acquisitions").get<double>();
  EXPECT_EQ(variant == "global" ? feeder : global, 0);
}

INSTANTIATE_TEST_SUITE_P(VariantsAndCases, TaskletStressTest,
                         ::testing::Combine(::testing::Values("global", "percpu"),
                                            ::testing::ValuesIn(kCases)),
                         [](const ::testing::TestParamInfo<std::tuple<std::string, Case>>& param) {
                           return std::get<0>(param.param) + "_" + std::get<1>(param.param).name;
                         });

// Local scheduling only: every run costs the global design exactly three
// acquisitions of its lock, and the per-CPU design none of the feeder lock.
bool Ran(const RunResult& r) { return r.ops > 0; }
bool Fed(const RunResult& r) { return r.counters.at("feeds").get<double>() > 0; }

TEST(TaskletLockCountTest, GlobalTakesItsLockThreeTimesPerRun) {
  const RunResult global = RunUntil(DefaultSpec("tasklet", "global", 2), Ran);
  ASSERT_TRUE(global.valid) << global.error;
  ASSERT_TRUE(Ran(global)) << "no tasklet ran in 60 s of runs";
  EXPECT_NEAR(global.counters.at("lock_acquisitions_per_run").get<double>(), 3.0, 0.001);
  EXPECT_EQ(global.counters.at("merged").get<double>(), 0);
  const RunResult percpu = RunUntil(DefaultSpec("tasklet", "percpu", 2), Ran);
  ASSERT_TRUE(percpu.valid) << percpu.error;
  EXPECT_EQ(percpu.counters.at("lock_acquisitions_per_run").get<double>(), 0);
}

// Producers schedule onto the CPUs across the feeder path.
TEST(TaskletLockCountTest, ProducersFeedThroughTheFeederLock) {
  const RunResult r = RunUntil(DefaultSpec("tasklet", "percpu", 2, {{"ratio", "1:1"}}), Fed);
  ASSERT_TRUE(r.valid) << r.error;
  ASSERT_TRUE(Fed(r)) << "no producer fed a CPU in 60 s of runs";
  EXPECT_GT(r.lock_stats.at("feeder_lock").at("acquisitions").get<double>(), 0);
}

// Running without the RUN bit lets a tasklet scheduled onto another CPU run
// there while it still runs here. Each attempt can pass; one of a few must
// not. The variant's own parameters (remote_pct, work_ns, tasklets_per_cpu)
// provoke it.
TEST(TaskletBrokenTest, RunningWithoutRunBitIsCaught) {
  const std::string error = FirstFailure(DefaultSpec("tasklet", "percpu_norun", 4));
  ASSERT_FALSE(error.empty()) << "a tasklet never ran on two threads at once in 30 s of runs";
  EXPECT_THAT(error, HasSubstr("INV1"));
}

// Clearing SCHED after the call loses a schedule that merges while the
// tasklet runs; INV2 sees it when no later schedule makes the tasklet run
// again, which the producers' closing burst provokes. The variant's own
// parameters (a producer per CPU, one long-running tasklet each) make that
// likely where the threads have a CPU each.
TEST(TaskletBrokenTest, ScheduleMergedIntoARunningTaskletIsCaught) {
  const std::string error = FirstFailure(DefaultSpec("tasklet", "percpu_late_clear", 2));
  ASSERT_FALSE(error.empty()) << "no schedule was lost in 30 s of runs";
  EXPECT_THAT(error, HasSubstr("INV2"));
}

// ratio 1:3 over 8 threads: 2 producers (role 1) and 6 CPUs (role 0); split
// puts the CPUs on package 0 and the producers on package 1.
TEST(TaskletPlacementTest, SplitPutsProducersAndConsumersOnTheirPackages) {
  const Topology topo = Topology::load("synthetic:pack:2 core:4 pu:2");
  const json config = {{"sweeps",
                        {{{"family", "tasklet"},
                          {"variants", {"percpu"}},
                          {"threads", {8}},
                          {"placements", {"split"}},
                          {"params", {{"ratio", "1:3"}}}}}}};
  const Sweep sweep = expand_sweep(config, Selection{}, topo);
  ASSERT_EQ(sweep.points.size(), 1u);
  const Point& p = sweep.points[0];
  EXPECT_EQ(p.roles, (std::vector<int>{0, 0, 0, 0, 0, 0, 1, 1}));
  for (std::size_t i = 0; i < p.cpus.size(); ++i) {
    const auto pu = std::find_if(topo.pus().begin(), topo.pus().end(),
                                 [&](const Pu& candidate) { return candidate.os_index == p.cpus[i]; });
    ASSERT_NE(pu, topo.pus().end());
    EXPECT_EQ(pu->package, p.roles[i]) << "thread " << i;
  }
}

TEST(TaskletPlacementTest, RatioIsValidated) {
  const Topology topo = Topology::load("synthetic:pack:1 core:2 pu:1");
  const json config = {{"sweeps", {{{"family", "tasklet"}, {"params", {{"ratio", "lots:1"}}}}}}};
  try {
    expand_sweep(config, Selection{}, topo);
    FAIL() << "a bad ratio was accepted";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("sweeps[0].params.ratio"));
    EXPECT_THAT(e.what(), HasSubstr("lots:1"));
    EXPECT_THAT(e.what(), HasSubstr("P:C"));
  }
}

}  // namespace
}  // namespace lockbench
