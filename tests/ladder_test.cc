// Thread ladders, the boundaries plan names, and the shipped configs on real
// machines' topologies (hwloc's test XMLs) and synthetic ones: what a sweep
// on a large box would run, planned from here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "harness/measure/topology.h"
#include "harness/sweep/sweep.h"

namespace lockbench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

const std::string kTopologies = LOCKBENCH_SOURCE_DIR "/tests/fixtures/topologies/";
// 24 packages, 24 NUMA nodes, 192 cores, 384 PUs (hwloc's 192em64t-24n8c2t).
const std::string kBox384 = kTopologies + "192em64t-24n8c2t.xml";
// ARM: 2 packages, 4 NUMA nodes, 128 cores in clusters of 4.
const std::string kArm128 = kTopologies + "128arm-2pa2n8cluster4co.xml";
// 1 package, 16 cores x 4 PUs, 4 sub-NUMA clusters of a DDR and an MCDRAM node.
const std::string kSnc64 = kTopologies + "64intel64-fakeKNL-SNC4-hybrid.xml";

std::vector<int> Counts(const std::vector<Boundary>& boundaries) {
  std::vector<int> counts;
  for (const Boundary& b : boundaries) counts.push_back(b.threads);
  return counts;
}

std::set<int> CountsWithinCpus(const Sweep& sweep, const Topology& topology) {
  std::set<int> within;
  for (const Point& p : sweep.points) {
    if (p.threads <= static_cast<int>(topology.pus().size())) within.insert(p.threads);
  }
  return within;
}

Sweep Plan(const std::string& config, const Topology& topology, Selection selection = {}) {
  return expand_sweep(read_config_file(LOCKBENCH_SOURCE_DIR "/configs/" + config), selection,
                      topology);
}

TEST(LadderTest, TwoPuBox) {
  const Topology topo = Topology::load("synthetic:pack:1 core:2 pu:1");
  EXPECT_THAT(thread_ladder(topo), ElementsAre(1, 2));
  ASSERT_EQ(topo.compact_boundaries().size(), 1u);
  EXPECT_THAT(topo.compact_boundaries()[0].what, HasSubstr("all PUs"));
  EXPECT_THAT(topo.compact_boundaries()[0].what, HasSubstr("one package"));
}

TEST(LadderTest, Box384FollowsSmtPackagesAndCores) {
  const Topology topo = Topology::load(kBox384);
  EXPECT_THAT(thread_ladder(topo), ElementsAre(1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384));
  const std::vector<Boundary> b = topo.compact_boundaries();
  EXPECT_THAT(Counts(b), ElementsAre(2, 16, 192, 384));
  EXPECT_EQ(b[0].what, "one core's SMT siblings");
  EXPECT_THAT(b[1].what, HasSubstr("one L3 cache"));
  EXPECT_THAT(b[1].what, HasSubstr("one NUMA node"));
  EXPECT_THAT(b[1].what, HasSubstr("one package"));
  EXPECT_EQ(boundary_at(b, 192), "as many threads as cores");
  EXPECT_EQ(boundary_at(b, 384), "all PUs");
  EXPECT_EQ(boundary_at(b, 32), "");
}

TEST(LadderTest, ArmClustersAreBoundaries) {
  const Topology topo = Topology::load(kArm128);
  EXPECT_THAT(thread_ladder(topo), ElementsAre(1, 2, 4, 8, 16, 32, 64, 128));
  const std::vector<Boundary> b = topo.compact_boundaries();
  EXPECT_THAT(Counts(b), ElementsAre(4, 32, 64, 128));
  EXPECT_EQ(b[0].what, "one cluster");
  EXPECT_THAT(b[1].what, HasSubstr("one NUMA node"));
  EXPECT_EQ(b[2].what, "one package");
}

TEST(LadderTest, OnePackageWithSeveralNumaNodes) {
  const Topology snc = Topology::load(kSnc64);
  EXPECT_EQ(snc.packages(), 1);
  EXPECT_EQ(snc.numa_nodes(), 8);
  EXPECT_THAT(Counts(snc.compact_boundaries()), ElementsAre(4, 8, 16, 64));
  EXPECT_THAT(boundary_at(snc.compact_boundaries(), 16), HasSubstr("one NUMA node"));
  const Topology nps4 = Topology::load("synthetic:pack:1 numa:4 core:8 pu:2");
  EXPECT_THAT(thread_ladder(nps4), ElementsAre(1, 2, 4, 8, 16, 32, 64));
  EXPECT_EQ(boundary_at(nps4.compact_boundaries(), 16), "one NUMA node");
}

// Nodes within packages, as the emulated x86 box of tests/vm has them: hwloc
// holds each node in an unnamed group, which is no boundary of its own.
TEST(LadderTest, NodesWithinPackagesAreNamedOnce) {
  const Topology topo = Topology::load("synthetic:pack:2 numa:2 core:2 l1d:2 pu:1");
  const std::vector<Boundary> b = topo.compact_boundaries();
  EXPECT_THAT(Counts(b), ElementsAre(2, 4, 8, 16));
  EXPECT_EQ(boundary_at(b, 2), "one core's SMT siblings");
  EXPECT_EQ(boundary_at(b, 4), "one NUMA node");
  EXPECT_EQ(boundary_at(b, 8), "one package, as many threads as cores");
}

TEST(LadderTest, ConfigsAndTheCommandLineTakeIt) {
  const Topology topo = Topology::load(kBox384);
  Selection selection;
  selection.families = {"spinlock"};
  selection.variants = {"ticket"};
  selection.placements = {"compact"};
  selection.threads = {"ladder", "2x"};
  const Sweep sweep = Plan("quick.json", topo, selection);
  std::vector<int> threads;
  for (const Point& p : sweep.points) threads.push_back(p.threads);
  EXPECT_THAT(threads, ElementsAre(1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384, 768));
}

// A producer/consumer family cannot fill its roles at 1 thread: the ladder
// leaves that count out of its points, where a count asked for is refused.
TEST(LadderTest, CountsAPointCannotFillAreLeftOut) {
  const Topology topo = Topology::load("synthetic:pack:1 core:4 pu:1");
  Selection selection;
  selection.families = {"evtchn"};
  selection.variants = {"fifo"};
  selection.placements = {"none"};
  selection.threads = {"ladder"};
  std::set<int> threads;
  for (const Point& p : Plan("default.json", topo, selection).points) threads.insert(p.threads);
  EXPECT_THAT(threads, ElementsAre(2, 4));
  selection.threads = {"1"};
  EXPECT_THROW(Plan("default.json", topo, selection), UsageError);
}

// What the default sweep is for: a scaling curve on the box it runs on, in
// an hour's plan, and unchanged within the CPUs of a 2-PU VM.
TEST(ShippedConfigsOnRealBoxesTest, DefaultGivesCurvesWithinAnHour) {
  for (const std::string& box : {kBox384, kArm128, kSnc64}) {
    SCOPED_TRACE(box);
    const Topology topo = Topology::load(box);
    const Sweep sweep = Plan("default.json", topo);
    EXPECT_GE(CountsWithinCpus(sweep, topo).size(), 7u);
    EXPECT_LT(sweep.estimated_seconds(), 3600);
  }
  const Topology box384 = Topology::load(kBox384);
  EXPECT_GE(CountsWithinCpus(Plan("default.json", box384), box384).size(), 8u);
  const Topology vm = Topology::load("synthetic:pack:1 core:2 pu:1");
  EXPECT_THAT(CountsWithinCpus(Plan("default.json", vm), vm), ElementsAre(1, 2));
}

// NPS/SNC boxes present one package with several NUMA nodes: the NUMA
// config keys on nodes, and its producers and consumers split by node.
TEST(ShippedConfigsOnRealBoxesTest, NumaConfigPlansWhereverThereAreNodes) {
  for (const std::string& box :
       {kBox384, kArm128, kSnc64, std::string("synthetic:pack:1 numa:4 core:8 pu:2")}) {
    SCOPED_TRACE(box);
    const Topology topo = Topology::load(box);
    const Sweep sweep = Plan("numa-large.json", topo);
    EXPECT_GE(CountsWithinCpus(sweep, topo).size(), 7u);
    EXPECT_LT(sweep.estimated_seconds(), 3600);
  }
  try {
    Plan("numa-large.json", Topology::load("synthetic:pack:2 core:8 pu:2"));
    ADD_FAILURE() << "a box with one NUMA node planned the NUMA config";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("needs at least 2 NUMA nodes (min_numa_nodes)"));
  }
}

// The emulated boxes' sweep (scripts/test-vm) plans on their shapes: a
// mistake there would cost a boot to find.
TEST(ShippedConfigsOnRealBoxesTest, TheGuestSweepPlansOnTheEmulatedBoxes) {
  for (const char* box :
       {"synthetic:pack:2 numa:2 core:2 pu:2", "synthetic:pack:2 numa:1 group:2 core:2 pu:1"}) {
    SCOPED_TRACE(box);
    const Topology topo = Topology::load(box);
    const Sweep sweep = expand_sweep(read_config_file(LOCKBENCH_SOURCE_DIR "/tests/vm/sweep.json"),
                                     Selection{}, topo);
    std::set<std::string> placements, homes;
    for (const Point& p : sweep.points) {
      placements.insert(p.placement.to_string());
      homes.insert(p.home.to_string());
    }
    const std::vector<int> ladder = thread_ladder(topo);
    EXPECT_EQ(CountsWithinCpus(sweep, topo), std::set<int>(ladder.begin(), ladder.end()));
    EXPECT_EQ(placements.size(), 9u);
    EXPECT_THAT(homes, ElementsAre("far", "first", "interleave", "node:1"));
  }
}

}  // namespace
}  // namespace lockbench
