// plan_cpus and PlacementSpec on hwloc synthetic topologies: each policy is
// checked against concrete layouts and against properties computed from the
// topology's own PU list.
#include "harness/measure/placement.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/measure/topology.h"

namespace lockbench {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kTwoPackageSmt = "synthetic:pack:2 core:4 pu:2";
// The same box as Linux numbers it: first PUs of all cores, then siblings.
constexpr const char* kTwoPackageSmtLinux =
    "synthetic:pack:2 core:4 pu:2(indexes=0,8,1,9,2,10,3,11,4,12,5,13,6,14,7,15)";
constexpr const char* kArmLike = "synthetic:pack:1 numa:4 core:4 pu:1";
constexpr const char* kOnePackageSmt = "synthetic:pack:1 core:4 pu:2";

std::vector<int> Plan(const Topology& topo, const std::string& placement, int threads,
                      Overflow overflow = Overflow::wrap, const std::vector<int>& roles = {}) {
  return plan_cpus(topo, PlacementSpec::parse(placement), threads, overflow, roles);
}

std::map<int, Pu> ByOsIndex(const Topology& topo) {
  std::map<int, Pu> pus;
  for (const Pu& pu : topo.pus()) pus[pu.os_index] = pu;
  return pus;
}

// --- oversubscription ----------------------------------------------------

// Oversubscribed: more threads than the CPUs they may run on; unpinned
// threads may run on every PU of the box, pinned ones only on theirs.
TEST(OversubscribedTest, CountsTheCpusThePlacementGivesTheThreads) {
  const Topology topo = Topology::load(kTwoPackageSmt);  // 16 PUs
  EXPECT_FALSE(oversubscribed(topo, Plan(topo, "compact", 16)));
  EXPECT_TRUE(oversubscribed(topo, Plan(topo, "compact", 17)));
  EXPECT_FALSE(oversubscribed(topo, Plan(topo, "none", 16)));
  EXPECT_TRUE(oversubscribed(topo, Plan(topo, "none", 32)));
  EXPECT_FALSE(oversubscribed(topo, Plan(topo, "list:0,1", 2)));
  EXPECT_TRUE(oversubscribed(topo, Plan(topo, "list:0,1", 3)));
  EXPECT_TRUE(oversubscribed(topo, Plan(topo, "compact", 20, Overflow::unpinned)));
  EXPECT_TRUE(oversubscribed(topo, Plan(topo, "compact", 20, Overflow::wrap)));
}

// --- compact ---------------------------------------------------------------

TEST(PlacementTest, CompactFillsPackageZeroFirstWithSiblingsAdjacent) {
  const Topology topo = Topology::load(kTwoPackageSmt);
  EXPECT_THAT(Plan(topo, "compact", 4), ElementsAre(0, 1, 2, 3));
  const std::vector<int> all = Plan(topo, "compact", 16);
  const auto pus = ByOsIndex(topo);
  for (int t = 0; t < 8; ++t) EXPECT_EQ(pus.at(all[t]).package, 0) << "thread " << t;
  for (int t = 8; t < 16; ++t) EXPECT_EQ(pus.at(all[t]).package, 1) << "thread " << t;
  for (int t = 0; t < 16; t += 2) {
    EXPECT_EQ(pus.at(all[t]).core, pus.at(all[t + 1]).core) << "threads " << t << ", " << t + 1;
    EXPECT_EQ(pus.at(all[t]).smt_rank, 0);
    EXPECT_EQ(pus.at(all[t + 1]).smt_rank, 1);
  }
}

TEST(PlacementTest, CompactFollowsHwlocOrderNotOsNumbers) {
  const Topology topo = Topology::load(kTwoPackageSmtLinux);
  EXPECT_THAT(Plan(topo, "compact", 6), ElementsAre(0, 8, 1, 9, 2, 10));
  EXPECT_THAT(Plan(topo, "compact+nosmt", 6), ElementsAre(0, 1, 2, 3, 4, 5));
}

TEST(PlacementTest, CompactNoSmtUsesOnlyFirstSiblings) {
  const Topology topo = Topology::load(kTwoPackageSmt);
  EXPECT_THAT(Plan(topo, "compact+nosmt", 8), ElementsAre(0, 2, 4, 6, 8, 10, 12, 14));
}

// --- scatter ---------------------------------------------------------------

TEST(PlacementTest, ScatterAlternatesPackagesAndUsesCoresBeforeSiblings) {
  const Topology topo = Topology::load(kTwoPackageSmt);
  const std::vector<int> cpus = Plan(topo, "scatter", 16);
  EXPECT_THAT(cpus, ElementsAre(0, 8, 2, 10, 4, 12, 6, 14, 1, 9, 3, 11, 5, 13, 7, 15));
  const auto pus = ByOsIndex(topo);
  for (int t = 0; t < 16; ++t) {
    EXPECT_EQ(pus.at(cpus[t]).package, t % 2) << "thread " << t;
    // 8 cores: the first 8 threads take one PU per core, siblings come after.
    EXPECT_EQ(pus.at(cpus[t]).smt_rank, t < 8 ? 0 : 1) << "thread " << t;
  }
  EXPECT_EQ(std::set<int>(cpus.begin(), cpus.end()).size(), 16u);
}

TEST(PlacementTest, ScatterWithLinuxNumbering) {
  const Topology topo = Topology::load(kTwoPackageSmtLinux);
  EXPECT_THAT(Plan(topo, "scatter", 10), ElementsAre(0, 4, 1, 5, 2, 6, 3, 7, 8, 12));
  EXPECT_THAT(Plan(topo, "scatter+nosmt", 8), ElementsAre(0, 4, 1, 5, 2, 6, 3, 7));
}

TEST(PlacementTest, ScatterOnOnePackageSpreadsOverCores) {
  const Topology topo = Topology::load(kOnePackageSmt);
  EXPECT_THAT(Plan(topo, "scatter", 8), ElementsAre(0, 2, 4, 6, 1, 3, 5, 7));
}

// --- numa ------------------------------------------------------------------

TEST(PlacementTest, NumaRoundRobinsNodes) {
  const Topology topo = Topology::load(kArmLike);
  ASSERT_EQ(topo.numa_nodes(), 4);
  EXPECT_THAT(Plan(topo, "numa", 6), ElementsAre(0, 4, 8, 12, 1, 5));
  const std::vector<int> cpus = Plan(topo, "numa", 16);
  const auto pus = ByOsIndex(topo);
  for (int t = 0; t < 16; ++t) EXPECT_EQ(pus.at(cpus[t]).numa_node, t % 4) << "thread " << t;
  EXPECT_EQ(std::set<int>(cpus.begin(), cpus.end()).size(), 16u);
}

TEST(PlacementTest, NumaOnLargeArmLikeBox) {
  const Topology topo = Topology::load("synthetic:pack:1 numa:4 core:16 pu:1");
  const std::vector<int> cpus = Plan(topo, "numa", 64);
  const auto pus = ByOsIndex(topo);
  for (int t = 0; t < 64; ++t) EXPECT_EQ(pus.at(cpus[t]).numa_node, t % 4) << "thread " << t;
  EXPECT_THAT(std::vector<int>(cpus.begin(), cpus.begin() + 5), ElementsAre(0, 16, 32, 48, 1));
}

TEST(PlacementTest, NumaWithSmtUsesCoresBeforeSiblings) {
  // 2 packages x 2 NUMA nodes x 2 cores x 2 PUs.
  const Topology topo = Topology::load("synthetic:pack:2 numa:2 core:2 pu:2");
  ASSERT_EQ(topo.numa_nodes(), 4);
  const std::vector<int> cpus = Plan(topo, "numa", 16);
  const auto pus = ByOsIndex(topo);
  for (int t = 0; t < 16; ++t) {
    EXPECT_EQ(pus.at(cpus[t]).numa_node, t % 4) << "thread " << t;
    EXPECT_EQ(pus.at(cpus[t]).smt_rank, t < 8 ? 0 : 1) << "thread " << t;
  }
  const std::vector<int> nosmt = Plan(topo, "numa+nosmt", 8);
  for (int cpu : nosmt) EXPECT_EQ(pus.at(cpu).smt_rank, 0);
}

// --- nosmt, as a property of every policy -----------------------------------

TEST(PlacementTest, NoSmtUsesOnlySmtRankZero) {
  const Topology topo = Topology::load(kTwoPackageSmt);
  const auto pus = ByOsIndex(topo);
  for (const char* placement : {"compact+nosmt", "scatter+nosmt", "numa+nosmt"}) {
    const std::vector<int> cpus = Plan(topo, placement, topo.cores());
    EXPECT_EQ(std::set<int>(cpus.begin(), cpus.end()).size(), 8u) << placement;
    for (int cpu : cpus) EXPECT_EQ(pus.at(cpu).smt_rank, 0) << placement << " cpu " << cpu;
  }
  // Beyond the cores, nosmt wraps onto first siblings again, never a second one.
  for (int cpu : Plan(topo, "scatter+nosmt", 20)) EXPECT_EQ(pus.at(cpu).smt_rank, 0);
}

// A cache private to each hardware thread (qemu's x86 guests) does not hide
// which PUs share a core.
TEST(PlacementTest, NoSmtSeesSiblingsBelowPrivateCaches) {
  const Topology topo = Topology::load("synthetic:pack:2 core:4 l1d:2 pu:1");
  EXPECT_THAT(Plan(topo, "compact+nosmt", 8), ElementsAre(0, 2, 4, 6, 8, 10, 12, 14));
}

// --- split -----------------------------------------------------------------

TEST(PlacementTest, SplitPutsEachRoleOnItsPackage) {
  const Topology topo = Topology::load(kTwoPackageSmt);
  const std::vector<int> roles = {0, 1, 0, 1, 1, 0};
  const std::vector<int> cpus = Plan(topo, "split", 6, Overflow::wrap, roles);
  EXPECT_THAT(cpus, ElementsAre(0, 8, 1, 9, 10, 2));
  const auto pus = ByOsIndex(topo);
  for (std::size_t t = 0; t < roles.size(); ++t) {
    EXPECT_EQ(pus.at(cpus[t]).package, roles[t]) << "thread " << t;
  }
}

TEST(PlacementTest, SplitWithLinuxNumberingAndNoSmt) {
  const Topology topo = Topology::load(kTwoPackageSmtLinux);
  EXPECT_THAT(Plan(topo, "split", 4, Overflow::wrap, {0, 1, 0, 1}), ElementsAre(0, 4, 8, 12));
  EXPECT_THAT(Plan(topo, "split+nosmt", 4, Overflow::wrap, {0, 1, 0, 1}), ElementsAre(0, 4, 1, 5));
}

TEST(PlacementTest, SplitWithoutRolesUsesPackageZero) {
  const Topology topo = Topology::load(kTwoPackageSmt);
  const auto pus = ByOsIndex(topo);
  for (int cpu : Plan(topo, "split", 8)) EXPECT_EQ(pus.at(cpu).package, 0);
}

TEST(PlacementTest, SplitOverflowStaysOnTheRolesPackage) {
  const Topology topo = Topology::load(kTwoPackageSmt);
  const std::vector<int> roles(10, 1);
  const std::vector<int> wrapped = Plan(topo, "split", 10, Overflow::wrap, roles);
  EXPECT_THAT(wrapped, ElementsAre(8, 9, 10, 11, 12, 13, 14, 15, 8, 9));
  const std::vector<int> unpinned = Plan(topo, "split", 10, Overflow::unpinned, roles);
  EXPECT_EQ(unpinned[7], 15);
  EXPECT_EQ(unpinned[8], kUnpinned);
  EXPECT_EQ(unpinned[9], kUnpinned);
}

TEST(PlacementTest, SplitNeedsTwoPackages) {
  const Topology topo = Topology::load(kOnePackageSmt);
  try {
    Plan(topo, "split", 2, Overflow::wrap, {0, 1});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("split"));
    EXPECT_THAT(e.what(), HasSubstr("1 package"));
  }
  EXPECT_THROW(Plan(Topology::load(kArmLike), "split", 2), std::invalid_argument);
}

// --- split_cores and interleave --------------------------------------------

TEST(PlacementTest, SplitCoresGivesEachRoleItsOwnCoresOnOnePackage) {
  const Topology topo = Topology::load("synthetic:pack:1 core:2 pu:1");
  // Two consumers (role 0) and two producers (role 1) on a 2-core box.
  EXPECT_THAT(Plan(topo, "split_cores", 4, Overflow::wrap, {0, 0, 1, 1}), ElementsAre(0, 0, 1, 1));
  EXPECT_THAT(Plan(topo, "split_cores", 4, Overflow::unpinned, {0, 0, 1, 1}),
              ElementsAre(0, kUnpinned, 1, kUnpinned));
}

TEST(PlacementTest, SplitCoresSharesFollowTheRatio) {
  const Topology topo = Topology::load(kOnePackageSmt);  // 8 PUs
  // 6 consumers, 2 producers: 6 PUs and 2 PUs, in compact order.
  const std::vector<int> roles = {0, 0, 0, 0, 0, 0, 1, 1};
  EXPECT_THAT(Plan(topo, "split_cores", 8, Overflow::wrap, roles),
              ElementsAre(0, 1, 2, 3, 4, 5, 6, 7));
  // One producer among seven consumers still gets a PU of its own.
  const std::vector<int> one_producer = {0, 0, 0, 0, 0, 0, 0, 1};
  const std::vector<int> cpus = Plan(topo, "split_cores", 8, Overflow::wrap, one_producer);
  EXPECT_EQ(cpus[7], 7);
  for (int t = 0; t < 7; ++t) EXPECT_NE(cpus[static_cast<std::size_t>(t)], 7) << "thread " << t;
}

TEST(PlacementTest, SplitCoresNeedsAPuPerRole) {
  const Topology topo = Topology::load("synthetic:pack:1 core:1 pu:1");
  try {
    Plan(topo, "split_cores", 2, Overflow::wrap, {0, 1});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("split_cores"));
    EXPECT_THAT(e.what(), HasSubstr("2 roles, 1 usable PUs"));
  }
}

TEST(PlacementTest, InterleaveAlternatesRolesOverCompactOrder) {
  const Topology topo = Topology::load(kOnePackageSmt);  // cores {0,1}, {2,3}, ...
  // Threads 0-1 consumers, 2-3 producers: consumer k and producer k share core k.
  EXPECT_THAT(Plan(topo, "interleave", 4, Overflow::wrap, {0, 0, 1, 1}), ElementsAre(0, 2, 1, 3));
  // Uneven roles: the leftover consumers follow.
  EXPECT_THAT(Plan(topo, "interleave", 4, Overflow::wrap, {0, 0, 0, 1}), ElementsAre(0, 2, 3, 1));
  // Without roles it is compact.
  EXPECT_THAT(Plan(topo, "interleave", 3), ElementsAre(0, 1, 2));
}

TEST(PlacementTest, InterleaveOversubscribedPutsEveryRoleOnEveryPu) {
  const Topology topo = Topology::load("synthetic:pack:1 core:2 pu:1");
  // Round two starts with a producer: PU 0 hosts consumer 0 and producer 1,
  // PU 1 producer 0 and consumer 1.
  EXPECT_THAT(Plan(topo, "interleave", 4, Overflow::wrap, {0, 0, 1, 1}), ElementsAre(0, 1, 1, 0));
  // With an odd PU count the plain alternation already mixes them.
  const Topology three = Topology::load("synthetic:pack:1 core:3 pu:1");
  EXPECT_THAT(Plan(three, "interleave", 6, Overflow::wrap, {0, 0, 0, 1, 1, 1}),
              ElementsAre(0, 2, 1, 1, 0, 2));
}

// --- none and list ----------------------------------------------------------

TEST(PlacementTest, NoneLeavesEveryThreadUnpinned) {
  const Topology topo = Topology::load(kTwoPackageSmt);
  EXPECT_THAT(Plan(topo, "none", 5), Each(kUnpinned));
  EXPECT_EQ(Plan(topo, "none", 40).size(), 40u);
  EXPECT_THAT(Plan(topo, "none", 40, Overflow::wrap), Each(kUnpinned));
}

TEST(PlacementTest, ListGivesThoseCpusInOrder) {
  const Topology topo = Topology::load(kTwoPackageSmt);
  EXPECT_THAT(Plan(topo, "list:0,2", 2), ElementsAre(0, 2));
  EXPECT_THAT(Plan(topo, "list:9,3-5", 4), ElementsAre(9, 3, 4, 5));
  EXPECT_THAT(Plan(topo, "list:0,2", 5, Overflow::wrap), ElementsAre(0, 2, 0, 2, 0));
  EXPECT_THAT(Plan(topo, "list:0,2", 4, Overflow::unpinned),
              ElementsAre(0, 2, kUnpinned, kUnpinned));
}

TEST(PlacementTest, ListNamingAMissingCpuThrows) {
  const Topology topo = Topology::load(kTwoPackageSmt);
  try {
    Plan(topo, "list:0,16", 2);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("CPU 16"));
  }
  // OS indexes, not logical ones: CPU 15 exists with Linux numbering too.
  EXPECT_THAT(Plan(Topology::load(kTwoPackageSmtLinux), "list:15", 1), ElementsAre(15));
}

// --- overflow ---------------------------------------------------------------

TEST(PlacementTest, OverflowWrapsOrUnpins) {
  const Topology topo = Topology::load(kTwoPackageSmt);
  const std::vector<int> wrapped = Plan(topo, "compact", 20, Overflow::wrap);
  ASSERT_EQ(wrapped.size(), 20u);
  for (int t = 16; t < 20; ++t) EXPECT_EQ(wrapped[t], wrapped[t - 16]) << "thread " << t;
  const std::vector<int> unpinned = Plan(topo, "scatter", 20, Overflow::unpinned);
  ASSERT_EQ(unpinned.size(), 20u);
  EXPECT_EQ(std::set<int>(unpinned.begin(), unpinned.begin() + 16).size(), 16u);
  for (int t = 16; t < 20; ++t) EXPECT_EQ(unpinned[t], kUnpinned) << "thread " << t;
  // nosmt halves the CPUs, so overflow starts at the core count.
  const std::vector<int> nosmt = Plan(topo, "compact+nosmt", 10, Overflow::unpinned);
  EXPECT_NE(nosmt[7], kUnpinned);
  EXPECT_EQ(nosmt[8], kUnpinned);
}

TEST(PlacementTest, EveryPolicyPlansOnlyExistingCpus) {
  for (const char* spec : {kTwoPackageSmt, kTwoPackageSmtLinux, kArmLike, kOnePackageSmt}) {
    const Topology topo = Topology::load(spec);
    const auto pus = ByOsIndex(topo);
    const int n = static_cast<int>(topo.pus().size());
    for (const char* placement : {"compact", "scatter", "numa", "compact+nosmt", "scatter+nosmt"}) {
      const std::vector<int> cpus = Plan(topo, placement, 3 * n, Overflow::wrap);
      ASSERT_EQ(cpus.size(), static_cast<std::size_t>(3 * n));
      for (int cpu : cpus) EXPECT_TRUE(pus.count(cpu)) << spec << " " << placement << " " << cpu;
    }
    const std::vector<int> once = Plan(topo, "compact", n);
    EXPECT_EQ(std::set<int>(once.begin(), once.end()).size(), static_cast<std::size_t>(n)) << spec;
  }
}

TEST(PlacementTest, ParseOverflow) {
  EXPECT_EQ(parse_overflow("wrap"), Overflow::wrap);
  EXPECT_EQ(parse_overflow("unpinned"), Overflow::unpinned);
  EXPECT_STREQ(to_string(Overflow::wrap), "wrap");
  EXPECT_STREQ(to_string(Overflow::unpinned), "unpinned");
  EXPECT_THROW(parse_overflow("spill"), std::invalid_argument);
}

// --- PlacementSpec::parse ----------------------------------------------------

TEST(PlacementSpecTest, ParsesPoliciesAndNoSmt) {
  EXPECT_STREQ(PlacementSpec::parse("compact").policy->name, "compact");
  EXPECT_TRUE(PlacementSpec::parse("compact").smt);
  const PlacementSpec scatter = PlacementSpec::parse("scatter+nosmt");
  EXPECT_STREQ(scatter.policy->name, "scatter");
  EXPECT_FALSE(scatter.smt);
  EXPECT_STREQ(PlacementSpec::parse("numa").policy->name, "numa");
  EXPECT_STREQ(PlacementSpec::parse("split").policy->name, "split");
  EXPECT_STREQ(PlacementSpec::parse("none").policy->name, "none");
  const PlacementSpec list = PlacementSpec::parse("list:0,2,4-7");
  EXPECT_STREQ(list.policy->name, "list");
  EXPECT_THAT(list.cpus, ElementsAre(0, 2, 4, 5, 6, 7));
}

TEST(PlacementSpecTest, RejectsJunk) {
  for (const char* junk : {"bogus", "list:", "list:a", "", "+nosmt", "none+nosmt", "compact+smt",
                           "Compact", "list:1,,2", "list:-1", "list:3-1", "list:1-", "list:2x",
                           "list:0,b-3", "compact+nosmt+nosmt"}) {
    EXPECT_THROW(PlacementSpec::parse(junk), std::invalid_argument) << "'" << junk << "'";
  }
}

TEST(PlacementSpecTest, ErrorNamesTheTextAndWhatIsAllowed) {
  try {
    PlacementSpec::parse("bogus");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'bogus'"));
    EXPECT_THAT(e.what(), HasSubstr("compact"));
    EXPECT_THAT(e.what(), HasSubstr("list:"));
  }
}

TEST(PlacementSpecTest, RoundTripsToString) {
  for (const char* text :
       {"compact", "scatter", "numa", "split", "split_cores", "interleave", "none", "compact+nosmt",
        "scatter+nosmt", "numa+nosmt", "split+nosmt", "list:3", "list:0,2,4"}) {
    EXPECT_EQ(PlacementSpec::parse(text).to_string(), text);
  }
  // Ranges come back expanded, and parse again to the same CPUs.
  const PlacementSpec range = PlacementSpec::parse("list:4-7,1");
  EXPECT_EQ(range.to_string(), "list:4,5,6,7,1");
  EXPECT_EQ(PlacementSpec::parse(range.to_string()).cpus, range.cpus);
}

}  // namespace
}  // namespace lockbench
