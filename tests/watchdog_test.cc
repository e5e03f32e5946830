// The watchdog of run_point_isolated judges progress, not a fixed grace: a
// run whose threads keep finishing after the window (a slow drain, as a fair
// lock oversubscribed gives) is waited for; one in which nothing finishes is
// stuck; one that progresses past drain_limit_s fails saying so.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "harness/measure/family.h"
#include "harness/measure/placement.h"
#include "harness/measure/run_point.h"
#include "harness/measure/topology.h"
#include "tests/run_spec.h"

namespace lockbench {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// Threads whose drain takes (index + 1) x step_ms: they finish one after the
// other, step_ms apart; "stuck" threads never finish theirs.
class PacedDrainWorkload final : public LoopedWorkload<PacedDrainWorkload> {
 public:
  PacedDrainWorkload(std::chrono::milliseconds step, bool stuck) : step_(step), stuck_(stuck) {}
  std::uint64_t operation(ThreadContext&) { return 1; }
  void drain(ThreadContext& ctx) override {
    if (stuck_) std::this_thread::sleep_for(std::chrono::hours(1));
    std::this_thread::sleep_for(step_ * (ctx.index + 1));
  }
  std::string check_invariants(const std::vector<ThreadContext*>&) override { return ""; }

 private:
  const std::chrono::milliseconds step_;
  const bool stuck_;
};

// Threads that finish step_ms apart, or never.
std::unique_ptr<Workload> PacedDrain(bool stuck, const Params& params) {
  return std::make_unique<PacedDrainWorkload>(
      std::chrono::milliseconds(params.at("step_ms").get<int>()), stuck);
}

FamilyInfo PacedDrainInfo() {
  return FamilyInfo{
      .name = "paced_drain",
      .summary = "drains that take a while, or for ever",
      .variants = {{"paced", VariantKind::reference, "threads finish step_ms apart",
                    [](const Params& params, const std::vector<int>&) {
                      return PacedDrain(false, params);
                    }},
                   {"stuck", VariantKind::broken, "no thread finishes its drain",
                    [](const Params& params, const std::vector<int>&) {
                      return PacedDrain(true, params);
                    }}},
      .params = {{.name = "step_ms",
                  .kind = ParamInfo::Kind::integer,
                  .default_value = 100,
                  .min = 1,
                  .max = 10000,
                  .help = "drain step"}},
      .counter_names = {},
      .lock_classes = {},
      .report = {.operation = "steps"},
  };
}

RunSpec Spec(const Family& family, const std::string& variant, int threads, int step_ms) {
  RunSpec spec = SpecOf(family, variant, threads, {{"step_ms", step_ms}});
  spec.watchdog_s = 0.5;
  return spec;
}

class WatchdogTest : public ::testing::Test {
 protected:
  WatchdogTest() : topo_(Topology::load("")) {}
  Family family_{PacedDrainInfo()};
  Topology topo_;
};

// 8 threads finishing 200 ms apart: 1.6 s of drain, more than three times
// the 0.5 s a fixed grace would have allowed, and never 0.5 s without one.
TEST_F(WatchdogTest, SlowDrainThatProgressesIsWaitedFor) {
  const RunResult r = run_point_isolated(Spec(family_, "paced", 8, 200), topo_);
  EXPECT_TRUE(r.valid) << r.error;
}

TEST_F(WatchdogTest, DrainThatNeverFinishesIsStuck) {
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = run_point_isolated(Spec(family_, "stuck", 4, 1), topo_);
  EXPECT_FALSE(r.valid);
  EXPECT_THAT(r.error, AllOf(HasSubstr("watchdog"), HasSubstr("a deadlock or a lost wakeup"),
                             HasSubstr("4 of 4 threads stopped, 0 drained")));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST_F(WatchdogTest, ProgressPastTheLimitFailsWithoutCallingItADeadlock) {
  RunSpec spec = Spec(family_, "paced", 8, 200);
  spec.drain_limit_s = 0.7;
  const RunResult r = run_point_isolated(spec, topo_);
  EXPECT_FALSE(r.valid);
  EXPECT_THAT(r.error, AllOf(HasSubstr("still progressing"), HasSubstr("drain_limit_s"),
                             Not(HasSubstr("deadlock or a lost wakeup"))));
}

}  // namespace
}  // namespace lockbench
