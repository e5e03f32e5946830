// The evtchn family: the FIFO and 2-level ABIs driven by hand (order,
// priority preemption, coalescing, masking, upcall notification); then every
// variant stressed oversubscribed with masking, several priorities and
// fan-in, and the unlocked FIFO caught.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "benchmarks/evtchn/fifo_events.h"
#include "benchmarks/evtchn/twolevel_events.h"
#include "benchmarks/families.h"
#include "harness/measure/run_point.h"
#include "harness/measure/topology.h"
#include "tests/run_spec.h"

namespace lockbench {
namespace {

using evtchn::Binding;
using evtchn::FifoEvents;
using evtchn::LockScope;
using evtchn::Taken;
using evtchn::TwoLevelEvents;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// One vCPU, two priorities: odd ports are priority 0, even ports priority 1.
const Binding kOneVcpuTwoPriorities(1, 2, 8);

// For tests that read Raised::notify instead of the kick.
constexpr auto kNoKick = [](int) {};

template <typename Events>
std::vector<std::uint32_t> DrainHandled(Events& events) {
  std::vector<std::uint32_t> handled;
  while (!events.idle(0)) {
    const Taken taken = events.consume(0);
    if (taken.handled) handled.push_back(taken.port);
  }
  return handled;
}

TEST(FifoEventsTest, HandlesEachQueueInLinkingOrderAndHigherPrioritiesFirst) {
  ThreadContext ctx(0, 1, kUnpinned, 64);
  FifoEvents<LockScope::kQueue> events(kOneVcpuTwoPriorities, 8, 1);
  events.setup_vcpu(0);
  for (std::uint32_t port : {6u, 2u, 5u, 1u, 3u})
    EXPECT_TRUE(events.raise(port, ctx, kNoKick).transition);
  EXPECT_THAT(DrainHandled(events), ElementsAre(5, 1, 3, 6, 2));
}

// INV2's record: a pass asked for it reads the port's place in its queue's
// linking order (increasing, from 1); other passes read nothing.
TEST(FifoEventsTest, ReadsTheLinkingOrderOnlyWhenAsked) {
  ThreadContext ctx(0, 1, kUnpinned, 64);
  FifoEvents<LockScope::kQueue> events(Binding(1, 1, 8), 8, 1);
  events.setup_vcpu(0);
  for (std::uint32_t port : {3u, 1u, 2u, 4u}) events.raise(port, ctx, kNoKick);
  EXPECT_EQ(events.consume(0, true).link_seq, 1u);
  EXPECT_FALSE(events.consume(0).link_seq.has_value());
  EXPECT_EQ(events.consume(0, true).link_seq, 3u);
  EXPECT_EQ(events.consume(0, true).link_seq, 4u);
}

TEST(FifoEventsTest, AHigherPriorityRaisedMidQueuePreemptsAfterOneEvent) {
  ThreadContext ctx(0, 1, kUnpinned, 64);
  FifoEvents<LockScope::kQueue> events(kOneVcpuTwoPriorities, 8, 1);
  events.setup_vcpu(0);
  events.raise(2, ctx, kNoKick);
  events.raise(4, ctx, kNoKick);
  EXPECT_EQ(events.consume(0).port, 2u);
  events.raise(1, ctx, kNoKick);
  EXPECT_EQ(events.consume(0).port, 1u);
  EXPECT_EQ(events.consume(0).port, 4u);
  EXPECT_TRUE(events.idle(0));
}

TEST(FifoEventsTest, CoalescesAndNotifiesOnlyWhenAQueueBecomesReady) {
  ThreadContext ctx(0, 1, kUnpinned, 64);
  FifoEvents<LockScope::kQueue> events(kOneVcpuTwoPriorities, 8, 1);
  events.setup_vcpu(0);
  const evtchn::Raised first = events.raise(1, ctx, kNoKick);
  EXPECT_TRUE(first.transition);
  EXPECT_TRUE(first.notify);
  EXPECT_FALSE(events.raise(1, ctx, kNoKick).transition);  // already pending
  EXPECT_FALSE(events.raise(3, ctx, kNoKick).notify);      // linked behind port 1
  EXPECT_TRUE(events.raise(2, ctx, kNoKick).notify);       // priority 1's READY bit
  EXPECT_THAT(DrainHandled(events), ElementsAre(1, 3, 2));
  EXPECT_TRUE(events.raise(1, ctx, kNoKick).notify);  // empty again
}

// vcpu_mark_events_pending runs once per READY bit set, for the port's vCPU,
// and after the queue unlock: a kick may raise on the same queue.
TEST(FifoEventsTest, KicksTheBoundVcpuAfterTheQueueUnlock) {
  ThreadContext ctx(0, 1, kUnpinned, 64);
  FifoEvents<LockScope::kQueue> events(Binding(2, 1, 8), 8, 1);
  events.setup_vcpu(0);
  events.setup_vcpu(1);
  std::vector<int> kicked;
  const auto kick = [&](int v) {
    kicked.push_back(v);
    if (kicked.size() == 1) events.raise(3, ctx, kNoKick);  // port 3: vCPU 0's queue
  };
  EXPECT_TRUE(events.raise(1, ctx, kick).notify);   // vCPU 0's queue was empty
  EXPECT_FALSE(events.raise(5, ctx, kick).notify);  // linked behind 1 and 3
  EXPECT_TRUE(events.raise(2, ctx, kick).notify);   // vCPU 1's
  EXPECT_THAT(kicked, ElementsAre(0, 1));
  EXPECT_THAT(DrainHandled(events), ElementsAre(1, 3, 5));
}

TEST(FifoEventsTest, MaskedEventsWaitForUnmask) {
  ThreadContext ctx(0, 1, kUnpinned, 64);
  FifoEvents<LockScope::kQueue> events(kOneVcpuTwoPriorities, 8, 1);
  events.setup_vcpu(0);
  events.mask(1);
  const evtchn::Raised r = events.raise(1, ctx, kNoKick);
  EXPECT_TRUE(r.transition);
  EXPECT_TRUE(r.masked);
  EXPECT_TRUE(events.idle(0));  // not linked
  EXPECT_TRUE(events.pending(1));
  events.unmask(1, ctx, kNoKick);
  EXPECT_THAT(DrainHandled(events), ElementsAre(1));
  EXPECT_FALSE(events.pending(1));
  EXPECT_FALSE(events.linked(1));
}

TEST(FifoEventsTest, APortMaskedWhileLinkedIsTakenOffButNotHandled) {
  ThreadContext ctx(0, 1, kUnpinned, 64);
  FifoEvents<LockScope::kQueue> events(kOneVcpuTwoPriorities, 8, 1);
  events.setup_vcpu(0);
  events.raise(1, ctx, kNoKick);
  events.mask(1);
  const Taken taken = events.consume(0);
  EXPECT_EQ(taken.port, 1u);
  EXPECT_FALSE(taken.handled);
  EXPECT_TRUE(taken.was_masked);
  EXPECT_TRUE(events.pending(1));
  events.unmask(1, ctx, kNoKick);  // linked again
  EXPECT_THAT(DrainHandled(events), ElementsAre(1));
}

TEST(TwoLevelEventsTest, HandlesEveryPendingPortOnceWithMasking) {
  ThreadContext ctx(0, 1, kUnpinned, 64);
  TwoLevelEvents events(Binding(1, 1, 130), 130, 1);
  events.setup_vcpu(0);
  EXPECT_TRUE(events.raise(129, ctx, kNoKick).notify);  // word 2's selector bit
  EXPECT_TRUE(events.raise(3, ctx, kNoKick).notify);    // word 0's
  EXPECT_FALSE(events.raise(5, ctx, kNoKick).notify);   // word 0 already selected
  EXPECT_FALSE(events.raise(3, ctx, kNoKick).transition);
  events.mask(7);
  EXPECT_TRUE(events.raise(7, ctx, kNoKick).masked);
  EXPECT_THAT(DrainHandled(events), ElementsAre(3, 5, 129));  // lowest first, no order
  events.unmask(7, ctx, kNoKick);
  EXPECT_THAT(DrainHandled(events), ElementsAre(7));
}

// Past 4096 ports a selector bit stands for every 64th word: ports 67 (word
// 1) and 4163 (word 65) share bit 1, and neither is lost.
TEST(TwoLevelEventsTest, PortsBeyondTheSelectorWidthShareItsBits) {
  ThreadContext ctx(0, 1, kUnpinned, 64);
  TwoLevelEvents events(Binding(1, 1, 8192), 8192, 1);
  events.setup_vcpu(0);
  EXPECT_TRUE(events.raise(4163, ctx, kNoKick).notify);
  EXPECT_FALSE(events.raise(67, ctx, kNoKick).notify);   // bit 1 already selected
  EXPECT_TRUE(events.raise(8191, ctx, kNoKick).notify);  // word 127: bit 63
  EXPECT_THAT(DrainHandled(events), ElementsAre(67, 4163, 8191));
}

// Ports grow with the consumer vCPUs, up to the FIFO ABI's limit.
TEST(EvtchnFamilyTest, RefusesMorePortsThanTheFifoAbiHas) {
  const Family* family = find_family("evtchn");
  ASSERT_NE(family, nullptr);
  const RunSpec fits = DefaultSpec("evtchn", "fifo", 64, {{"ports_per_vcpu", 4096}});
  EXPECT_NO_THROW(family->check_point(fits.params, family->assign_roles(fits.params, 64)));
  const RunSpec spec = DefaultSpec("evtchn", "fifo", 66, {{"ports_per_vcpu", 4096}});
  try {
    family->check_point(spec.params, family->assign_roles(spec.params, 66));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'ports_per_vcpu' = 4096"));
    EXPECT_THAT(e.what(), HasSubstr("135168 ports"));
    EXPECT_THAT(e.what(), HasSubstr("at most 131072"));
  }
}

// Today's Xen takes the queue lock on every send, coalesced or not; Xen
// before 4.6 took the domain's event_lock on every send and the queue lock
// inside it only to link.
TEST(EvtchnLockingTest, WhichLockEverySendTakes) {
  const Topology topology = Topology::load("");
  const RunResult fifo = run_point_isolated(DefaultSpec("evtchn", "fifo", 4), topology);
  ASSERT_TRUE(fifo.valid) << fifo.error;
  const auto raised = fifo.counters.at("raised").get<std::uint64_t>();
  EXPECT_EQ(fifo.lock_stats.at("queue_lock").at("acquisitions").get<std::uint64_t>(), raised);
  EXPECT_EQ(fifo.lock_stats.at("event_lock").at("acquisitions").get<std::uint64_t>(), 0u);
  const RunResult global = run_point_isolated(DefaultSpec("evtchn", "global", 4), topology);
  ASSERT_TRUE(global.valid) << global.error;
  const auto sent = global.counters.at("raised").get<std::uint64_t>();
  EXPECT_EQ(global.lock_stats.at("event_lock").at("acquisitions").get<std::uint64_t>(), sent);
  EXPECT_LE(global.lock_stats.at("queue_lock").at("acquisitions").get<std::uint64_t>(), sent);
}

struct Case {
  std::string name;
  nlohmann::json params;
};

const Case kCases[] = {
    {"one_to_one", {}},
    {"masked_priorities_fanin",
     {{"mask_pct", 5}, {"priorities", 3}, {"fanin", 2}, {"handler_ns", 0}}},
    {"few_ports_many_producers",
     {{"ratio", "3:1"}, {"ports_per_vcpu", 2}, {"priorities", 2}, {"fanin", 2}, {"mask_pct", 10}}},
    {"many_consumers",
     {{"ratio", "1:3"}, {"ports_per_vcpu", 3}, {"priorities", 4}, {"halt_poll_ns", 0}}},
    // Beyond the 4096 ports of a 64-bit guest's 2-level ABI (6 vCPUs x 1500).
    {"many_ports", {{"ratio", "1:3"}, {"ports_per_vcpu", 1500}, {"mask_pct", 5}}},
};

class EvtchnStressTest : public ::testing::TestWithParam<std::tuple<std::string, Case>> {};

TEST_P(EvtchnStressTest, InvariantsHoldOversubscribed) {
  const auto& [variant, c] = GetParam();
  const RunResult r =
      run_point_isolated(DefaultSpec("evtchn", variant, 8, c.params), Topology::load(""));
  // Exactly-once delivery, FIFO order per queue (global, fifo), no masked
  // event handled, nothing left pending or linked: checked in every run.
  ASSERT_TRUE(r.valid) << r.error;
}

INSTANTIATE_TEST_SUITE_P(VariantsAndCases, EvtchnStressTest,
                         ::testing::Combine(::testing::Values("global", "fifo", "2level"),
                                            ::testing::ValuesIn(kCases)),
                         [](const ::testing::TestParamInfo<std::tuple<std::string, Case>>& param) {
                           return std::get<0>(param.param) + "_" + std::get<1>(param.param).name;
                         });

// Two producers linking onto the same queues without its lock: both read the
// same tail, one link overwrites the other. Each attempt can pass; one of a
// few must not. The variant's own fanin of 2 makes two producers share a
// vCPU's queues.
TEST(EvtchnBrokenTest, LinkingWithoutTheQueueLockIsCaught) {
  const std::string error = FirstFailure(DefaultSpec("evtchn", "fifo_nolock", 4));
  ASSERT_FALSE(error.empty()) << "no event was lost or reordered in 30 s of runs";
  EXPECT_THAT(error, HasSubstr("INV"));
}

}  // namespace
}  // namespace lockbench
