// The spinlock workload's checks must catch broken locks: a lock that does
// not exclude (INV1/INV2), one that reports tickets out of grant order (INV3)
// and one that is not idle at quiescence (INV4). Correct locks pass the same
// checks. Run both directly from std::threads and through run_point with a
// test-only family.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "benchmarks/locks/lock_api.h"
#include "benchmarks/locks/std_mutex_lock.h"
#include "benchmarks/locks/ticket_lock.h"
#include "benchmarks/spinlock/workload.h"
#include "harness/measure/family.h"
#include "harness/measure/placement.h"
#include "harness/measure/run_point.h"
#include "harness/measure/thread_context.h"
#include "harness/measure/topology.h"
#include "tests/run_spec.h"

namespace lockbench::spinlock {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Satisfies the lock API but excludes nothing: lock() returns at once.
class NoLock {
 public:
  static constexpr std::uint64_t kTicketSpace = 0;
  explicit NoLock(const LockSetup&) {}
  Acquired lock(int) { return {}; }
  Released unlock(int) { return {}; }
  std::string check_quiescent() const { return ""; }
};

// Excludes correctly (a ticket lock) but reports every grant one ticket late.
class SkewedTicketLock {
 public:
  static constexpr std::uint64_t kTicketSpace = TicketLock::kTicketSpace;
  explicit SkewedTicketLock(const LockSetup& setup) : lock_(setup) {}
  Acquired lock(int thread) {
    Acquired got = lock_.lock(thread);
    ++got.ticket;
    return got;
  }
  Released unlock(int thread) { return lock_.unlock(thread); }
  std::string check_quiescent() const { return lock_.check_quiescent(); }

 private:
  TicketLock lock_;
};

// Excludes correctly but always reports ticket 0.
class ConstantTicketLock {
 public:
  static constexpr std::uint64_t kTicketSpace = std::uint64_t{1} << 32;
  explicit ConstantTicketLock(const LockSetup&) {}
  Acquired lock(int) {
    mutex_.lock();
    return {.contended = {}, .ticket = 0};
  }
  Released unlock(int) {
    mutex_.unlock();
    return {};
  }
  std::string check_quiescent() const { return ""; }

 private:
  std::mutex mutex_;
};

// Excludes correctly but claims to be held at quiescence.
class NeverIdleLock {
 public:
  static constexpr std::uint64_t kTicketSpace = 0;
  explicit NeverIdleLock(const LockSetup&) {}
  Acquired lock(int) {
    mutex_.lock();
    return {};
  }
  Released unlock(int) {
    mutex_.unlock();
    return {};
  }
  std::string check_quiescent() const { return "never-idle lock still held"; }

 private:
  std::mutex mutex_;
};

// A critical section long enough, and sometimes sleeping, so that threads
// without exclusion are inside together on every run.
constexpr WorkloadSetup kOverlapping{
    .cs_ns = 2000, .ncs_ns = 0, .preempt_pct = 20, .preempt_us = 100};

// Runs `ops` operations on each of `threads` std::threads, then returns what
// check_invariants reports.
template <typename Lock>
std::string RunDirectly(int threads, int ops, const WorkloadSetup& setup) {
  LockWorkload<Lock> workload(LockSetup{.threads = threads}, setup);
  std::vector<std::unique_ptr<ThreadContext>> contexts;
  std::vector<ThreadContext*> pointers;
  for (int i = 0; i < threads; ++i) {
    contexts.push_back(std::make_unique<ThreadContext>(i, 0, kUnpinned, 64));
    pointers.push_back(contexts.back().get());
  }
  std::vector<std::thread> team;
  for (ThreadContext* ctx : pointers) {
    workload.setup_thread(*ctx);
    team.emplace_back([&workload, ctx, ops] {
      for (int n = 0; n < ops; ++n) (void)workload.operation(*ctx);
      ctx->all_ops = static_cast<std::uint64_t>(ops);  // as the measured loop records it
    });
  }
  for (std::thread& t : team) t.join();
  return workload.check_invariants(pointers);
}

TEST(InvariantsTest, NoLockViolatesMutualExclusion) {
  constexpr int kThreads = 4, kOps = 2000;
  std::string error;
  // Each attempt can pass only if the threads never overlapped.
  for (int attempt = 0; attempt < 5 && error.empty(); ++attempt) {
    error = RunDirectly<NoLock>(kThreads, kOps, kOverlapping);
  }
  EXPECT_THAT(error, AnyOf(StartsWith("INV1"), StartsWith("INV2")));
  EXPECT_THAT(error, HasSubstr(std::to_string(kThreads * kOps) + " acquisitions"));
}

TEST(InvariantsTest, SkewedTicketsViolateOrder) {
  // Deterministic: one thread, every grant reports the wrong ticket.
  const std::string one = RunDirectly<SkewedTicketLock>(1, 100, {});
  EXPECT_THAT(one, StartsWith("INV3"));
  EXPECT_THAT(one, HasSubstr(": 100 grants"));
  EXPECT_THAT(RunDirectly<SkewedTicketLock>(3, 300, {}), StartsWith("INV3"));
}

TEST(InvariantsTest, ConstantTicketViolatesOrder) {
  // The first grant is ticket 0; every later one is out of order.
  EXPECT_THAT(RunDirectly<ConstantTicketLock>(1, 10, {}),
              StartsWith("INV3 ticket order violated: 9 "));
}

TEST(InvariantsTest, NotIdleAtQuiescence) {
  EXPECT_EQ(RunDirectly<NeverIdleLock>(2, 100, {}), "INV4 never-idle lock still held");
}

TEST(InvariantsTest, CorrectLocksPass) {
  EXPECT_EQ(RunDirectly<TicketLock>(2, 3000, {}), "");
  EXPECT_EQ(RunDirectly<StdMutexLock>(4, 500, kOverlapping), "");
  EXPECT_EQ(RunDirectly<TicketLock>(1, 100, {}), "");
}

// A variant of the test-only family below: Lock under the spinlock
// workload, every thread in its critical section at once where the lock
// lets them (kOverlapping) or with the workload's defaults.
template <typename Lock, const WorkloadSetup& setup>
std::unique_ptr<Workload> Locked(const Params&, const std::vector<int>& roles) {
  return std::make_unique<LockWorkload<Lock>>(LockSetup{.threads = static_cast<int>(roles.size())},
                                              setup);
}

constexpr WorkloadSetup kDefaults{};

// The same locks as variants of a test-only family, run by the harness.
FamilyInfo BrokenLocks() {
  return FamilyInfo{
      .name = "broken_locks",
      .summary = "locks that break one invariant each",
      .variants = {{"no_lock", VariantKind::broken, "excludes nothing", Locked<NoLock, kOverlapping>},
                   {"skewed_ticket", VariantKind::broken, "tickets one late",
                    Locked<SkewedTicketLock, kDefaults>},
                   {"never_idle", VariantKind::broken, "held at quiescence",
                    Locked<NeverIdleLock, kDefaults>},
                   {"ticket", VariantKind::reference, "a correct ticket lock",
                    Locked<TicketLock, kDefaults>}},
      .params = {},
      .counter_names = {"blocks", "kicks", "spurious_wakeups", "preemptions"},
      .lock_classes = {"lock"},
      .report = {.operation = "lock acquisitions"},
  };
}

class RunPointInvariantsTest : public ::testing::Test {
 protected:
  RunPointInvariantsTest() : topo_(Topology::load("")) {}
  Family family_{BrokenLocks()};
  Topology topo_;
};

TEST_F(RunPointInvariantsTest, NoLockIsAnInvalidPoint) {
  RunResult result;
  for (int attempt = 0; attempt < 5 && result.error.empty(); ++attempt) {
    result = run_point(SpecOf(family_, "no_lock", 4), topo_);
  }
  EXPECT_FALSE(result.valid);
  EXPECT_THAT(result.error, AnyOf(StartsWith("INV1"), StartsWith("INV2")));
  EXPECT_EQ(result.ops, 0u);  // an invalid point reports no numbers
}

TEST_F(RunPointInvariantsTest, SkewedTicketIsAnInvalidPoint) {
  const RunResult result = run_point(SpecOf(family_, "skewed_ticket", 2), topo_);
  EXPECT_FALSE(result.valid);
  EXPECT_THAT(result.error, StartsWith("INV3"));
}

TEST_F(RunPointInvariantsTest, InvalidPointSurvivesIsolation) {
  const RunResult result = run_point_isolated(SpecOf(family_, "never_idle", 2), topo_);
  EXPECT_FALSE(result.valid);
  EXPECT_EQ(result.error, "INV4 never-idle lock still held");
}

// A thread that cannot be bound where the plan puts it fails the point,
// saying which and why: its results would describe another placement.
TEST_F(RunPointInvariantsTest, ThreadThatCannotBeBoundFailsThePoint) {
  RunSpec spec = SpecOf(family_, "ticket", 2);
  spec.cpus = {0, 8191};
  const RunResult result = run_point(spec, topo_);
  EXPECT_FALSE(result.valid);
  EXPECT_THAT(result.error, HasSubstr("1 of 2 threads could not be bound as planned"));
  EXPECT_THAT(result.error, HasSubstr("thread 1 to CPU 8191"));
}

TEST_F(RunPointInvariantsTest, CorrectLockIsAValidPoint) {
  const RunResult result = run_point(SpecOf(family_, "ticket", 2), topo_);
  EXPECT_TRUE(result.valid) << result.error;
  ASSERT_EQ(result.thread_ops.size(), 2u);
  EXPECT_EQ(result.thread_ops[0] + result.thread_ops[1], result.ops);
  EXPECT_EQ(result.lock_stats.at("lock").at("acquisitions"), result.ops);
}

}  // namespace
}  // namespace lockbench::spinlock
