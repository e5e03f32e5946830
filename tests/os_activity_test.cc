// What the OS did to a point's threads: each valid repetition carries its
// scheduler record (hardware counts where the kernel gives them), counted
// on either side of the window.
#include "harness/measure/os_activity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "harness/measure/run_point.h"
#include "tests/run_spec.h"

namespace lockbench {
namespace {

using ::testing::AnyOf;
using json = nlohmann::json;

// At 4x oversubscription 4 spinning threads share each CPU for the whole
// window, so the kernel preempts them: no switch at all would mean the
// counts were not read.
TEST(OsActivityTest, OversubscribedSwitchesAreCounted) {
  const Topology topo = Topology::load("");
  const int threads = 4 * static_cast<int>(topo.pus().size());
  RunSpec spec = DefaultSpec("spinlock", "tas", threads);
  spec.duration_ms = 300;
  const RunResult r = run_point(spec, topo);
  ASSERT_TRUE(r.valid) << r.error;
  ASSERT_TRUE(r.scheduler.is_object()) << r.scheduler.dump();
  const auto voluntary = r.scheduler.at("voluntary_switches").get<double>();
  const auto involuntary = r.scheduler.at("involuntary_switches").get<double>();
  EXPECT_GT(voluntary + involuntary, 0);
  // Plausible: no thread switches more often than every 10 us.
  const double seconds = r.scheduler.at("seconds").get<double>();
  EXPECT_GE(seconds, r.seconds * 0.99);
  EXPECT_LT(voluntary + involuntary, threads * seconds * 1e5);
  EXPECT_DOUBLE_EQ(r.scheduler.at("switches_per_op").get<double>(),
                   (voluntary + involuntary) / static_cast<double>(r.ops));
  EXPECT_TRUE(r.scheduler.at("migrations").is_number() ||
              r.scheduler.at("migrations") == "not available");
  EXPECT_TRUE(r.hardware == "not available" || r.hardware.contains("cycles_per_op"))
      << r.hardware.dump();
}

TEST(OsActivityTest, NothingCountedIsNotAvailable) {
  const OsActivity none = OsActivity::between({}, {}, 0);
  EXPECT_EQ(none.scheduler, "not available");
  EXPECT_EQ(none.hardware, "not available");
}

// A thread whose counts could not be read makes the team's figure not
// available, never a partial sum.
TEST(OsActivityTest, OneUnreadThreadMakesTheFigureUnavailable) {
  ThreadOsCounters::Reading read, unread;
  read.switches_known = read.migrations_known = true;
  read.voluntary = 5;
  const OsActivity a = OsActivity::between({read, read}, {read, unread}, 10);
  EXPECT_EQ(a.scheduler, "not available");
  const OsActivity b = OsActivity::between({read, read}, {read, read}, 10);
  EXPECT_EQ(b.scheduler.at("voluntary_switches"), 0);
}

}  // namespace
}  // namespace lockbench
