// Correctness stress of the spinlock family's locks under oversubscription
// (8 unpinned threads on however few CPUs): every invariant must hold, the PV
// locks' block/kick slow paths must run without losing a wakeup even with
// sleeps injected at every step, and the deliberately broken variants must
// hang and be caught by the watchdog.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "benchmarks/families.h"
#include "harness/measure/family.h"
#include "harness/measure/placement.h"
#include "harness/measure/run_point.h"
#include "harness/measure/topology.h"
#include "tests/run_spec.h"

namespace lockbench {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr int kThreads = 8;

RunSpec Spec(const std::string& variant, const json& overrides = json::object(),
             int threads = kThreads) {
  return DefaultSpec("spinlock", variant, threads, overrides);
}

// The checks every valid run must pass, whatever its speed: oversubscribed
// (under a sanitizer above all) a window may see no operation at all, so
// progress is not one of them.
void ExpectSound(const RunResult& r, int threads = kThreads) {
  ASSERT_TRUE(r.valid) << r.error;
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(r.thread_ops.size(), static_cast<std::size_t>(threads));
  std::uint64_t sum = 0;
  for (std::uint64_t n : r.thread_ops) sum += n;
  EXPECT_EQ(sum, r.ops);
  // Every measured operation is one acquisition of the lock.
  EXPECT_EQ(r.lock_stats.at("lock").at("acquisitions").get<std::uint64_t>(), r.ops);
  EXPECT_LE(r.latency_ns.at("samples").get<std::uint64_t>(), r.ops);
  EXPECT_GE(r.fairness, 0.0);
  EXPECT_LE(r.fairness, 1.0 + 1e-9);
  for (const char* counter :
       {"blocks", "kicks", "spurious_wakeups", "preemptions", "steals", "hash_probes"}) {
    EXPECT_TRUE(r.counters.contains(counter)) << counter;
  }
}

class SpinlockStressTest : public ::testing::Test {
 protected:
  SpinlockStressTest() : topo_(Topology::load("")) {}
  Topology topo_;
};

class SpinlockVariantStressTest : public SpinlockStressTest,
                                  public ::testing::WithParamInterface<std::string> {};

TEST_P(SpinlockVariantStressTest, OversubscribedRunIsValid) {
  const RunResult r = run_point(Spec(GetParam()), topo_);
  ASSERT_NO_FATAL_FAILURE(ExpectSound(r));
  // Only the PV locks block and kick; only the PV queued lock steals and hashes.
  if (GetParam() != "pv_ticket" && GetParam() != "pv_qspinlock") {
    EXPECT_EQ(r.counters.at("blocks"), 0);
    EXPECT_EQ(r.counters.at("kicks"), 0);
  }
  if (GetParam() != "pv_qspinlock") {
    EXPECT_EQ(r.counters.at("steals"), 0);
    EXPECT_EQ(r.counters.at("hash_probes"), 0);
  }
  EXPECT_EQ(r.counters.at("preemptions"), 0);
}

INSTANTIATE_TEST_SUITE_P(Variants, SpinlockVariantStressTest,
                         ::testing::Values("ticket", "pv_ticket", "std_mutex", "ck_ticket", "mcs",
                                           "qspinlock", "pv_qspinlock", "tas", "xen_byte"),
                         [](const ::testing::TestParamInfo<std::string>& variant) {
                           return variant.param;
                         });

// Every non-broken variant of the family is covered above.
TEST(SpinlockStressCoverageTest, EveryCorrectVariantIsStressed) {
  const Family* family = find_family("spinlock");
  ASSERT_NE(family, nullptr);
  int correct = 0;
  for (const VariantInfo& v : family->info().variants) correct += v.kind != VariantKind::broken;
  EXPECT_EQ(correct, 9);
}

// Short spins and a sleep injected at each step of the slow path: waiters
// block, unlockers kick, and a kick racing a block must never be lost (a lost
// one would hang the run; the watchdog of run_point_isolated reports it
// instead of hanging the test).
bool Blocked(const RunResult& r) { return r.counters.at("blocks").get<std::uint64_t>() > 0; }
bool BlockedAndKicked(const RunResult& r) {
  return Blocked(r) && r.counters.at("kicks").get<std::uint64_t>() > 0;
}

class PvSlowPathTest : public SpinlockStressTest,
                       public ::testing::WithParamInterface<std::string> {};

TEST_P(PvSlowPathTest, InjectedSleepsLoseNoWakeup) {
  RunSpec spec = Spec(GetParam(), {{"spin_threshold", 64}, {"step_sleep_pct", 5}});
  const RunResult r = RunUntil(spec, BlockedAndKicked);
  ASSERT_NO_FATAL_FAILURE(ExpectSound(r));
  EXPECT_TRUE(BlockedAndKicked(r)) << "no run blocked and kicked in 60 s";
}

TEST_P(PvSlowPathTest, ThresholdOfOneStillValid) {
  RunSpec spec = Spec(GetParam(), {{"spin_threshold", 1}, {"cs_ns", 0}, {"ncs_ns", 0}});
  const RunResult r = RunUntil(spec, Blocked);
  ASSERT_NO_FATAL_FAILURE(ExpectSound(r));
  EXPECT_TRUE(Blocked(r)) << "no run blocked in 60 s";
}

TEST_P(PvSlowPathTest, WithInjectedPreemption) {
  RunSpec spec =
      Spec(GetParam(), {{"preempt_pct", 5}, {"preempt_us", 100}, {"spin_threshold", 256}});
  const RunResult r = run_point_isolated(spec, topo_);
  ASSERT_NO_FATAL_FAILURE(ExpectSound(r));
}

INSTANTIATE_TEST_SUITE_P(PvLocks, PvSlowPathTest, ::testing::Values("pv_ticket", "pv_qspinlock"),
                         [](const ::testing::TestParamInfo<std::string>& variant) {
                           return variant.param;
                         });

// The queued lock's pending path and queue, with a sleep injected between
// the queueing steps: the tail swap, the link to the predecessor, the head's
// wait.
TEST_F(SpinlockStressTest, QspinlockWithInjectedSleepsIsSound) {
  const RunResult r =
      run_point_isolated(Spec("qspinlock", {{"step_sleep_pct", 5}, {"cs_ns", 0}}), topo_);
  ASSERT_NO_FATAL_FAILURE(ExpectSound(r));
}

// A holder that sleeps inside the critical section, with waiters spinning
// behind it: the ticket lock collapses (tens of operations in the window, or
// none), and every invariant must still hold.
TEST_F(SpinlockStressTest, TicketWithInjectedPreemption) {
  RunSpec spec = Spec("ticket", {{"preempt_pct", 5}, {"preempt_us", 100}});
  spec.duration_ms = 400;
  const RunResult r = run_point_isolated(spec, topo_);
  ASSERT_NO_FATAL_FAILURE(ExpectSound(r));
  EXPECT_LE(r.counters.at("preemptions").get<std::uint64_t>(), r.ops);
}


// The broken variant skips the re-check after setting SLOWPATH, so a release
// that slips in between leaves a waiter asleep on a lock that is already its
// own: the run hangs and the watchdog must say so. Each attempt is a real run
// that could finish; the test needs one of a few to hang, and none may finish
// with anything but a watchdog failure or success.
TEST(PvTicketNoRecheckTest, WatchdogCatchesTheLostWakeup) {
  // The variant's own parameters (spin_threshold, step_sleep_pct) provoke it.
  RunSpec spec = DefaultSpec("spinlock", "pv_ticket_norecheck", 6);
  spec.watchdog_s = 2;
  const std::string error = FirstFailure(spec);
  ASSERT_FALSE(error.empty()) << "the broken variant never lost a wakeup in 30 s of runs";
  EXPECT_THAT(error, HasSubstr("watchdog"));
  EXPECT_THAT(error, HasSubstr("lost wakeup"));
}

// The broken PV queued lock is Linux's before the double hash fix: a holder
// paused before pv_kick_node finds the head that hashed itself asleep as
// halted and hashes it again. The stale entry is left at quiescence, or a
// later unlock kicks the stale entry's node while the real head sleeps on.
TEST(PvQspinlockDoubleHashTest, CaughtAsAStaleHashEntryOrAnUnkickedHead) {
  // Three threads on two CPUs: a new head is often still running when it
  // is made head (the race needs that); each race leaves an entry, so a
  // longer run is more likely to show one.
  RunSpec spec = DefaultSpec("spinlock", "pv_qspinlock_double_hash", 3);
  spec.duration_ms = 600;
  spec.watchdog_s = 2;
  const std::string error = FirstFailure(spec);
  ASSERT_FALSE(error.empty()) << "the broken variant never hashed a head twice in 30 s of runs";
  EXPECT_THAT(error, AnyOf(HasSubstr("hash entries left at quiescence"), HasSubstr("watchdog")));
}

}  // namespace
}  // namespace lockbench
