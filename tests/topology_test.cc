// Topology::load on hwloc synthetic descriptions: what placement plans from.
#include "harness/measure/topology.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <stdexcept>

namespace lockbench {
namespace {

using ::testing::HasSubstr;

TEST(TopologyTest, TwoPackageSmtBoxCountsAndPuFields) {
  const Topology topo = Topology::load("synthetic:pack:2 core:4 pu:2");
  EXPECT_FALSE(topo.is_this_system());
  EXPECT_EQ(topo.packages(), 2);
  EXPECT_EQ(topo.cores(), 8);
  EXPECT_EQ(topo.numa_nodes(), 1);
  ASSERT_EQ(topo.pus().size(), 16u);
  for (int i = 0; i < 16; ++i) {
    const Pu& pu = topo.pus()[static_cast<std::size_t>(i)];
    EXPECT_EQ(pu.os_index, i);
    EXPECT_EQ(pu.package, i / 8) << "PU " << i;
    EXPECT_EQ(pu.core, i / 2) << "PU " << i;
    EXPECT_EQ(pu.smt_rank, i % 2) << "PU " << i;
    EXPECT_EQ(pu.numa_node, 0) << "PU " << i;
  }
  EXPECT_EQ(topo.summary(), "2 packages, 1 NUMA node, 8 cores, 16 PUs");
}

// Linux numbers the first PU of every core before any SMT sibling; the Pu
// fields must follow hwloc's structure, not the OS numbering.
TEST(TopologyTest, LinuxStyleSmtNumbering) {
  const Topology topo =
      Topology::load("synthetic:pack:2 core:4 pu:2(indexes=0,8,1,9,2,10,3,11,4,12,5,13,6,14,7,15)");
  ASSERT_EQ(topo.pus().size(), 16u);
  for (std::size_t i = 0; i < 16; ++i) {
    const Pu& pu = topo.pus()[i];
    const int core = static_cast<int>(i / 2);
    EXPECT_EQ(pu.core, core);
    EXPECT_EQ(pu.smt_rank, static_cast<int>(i % 2));
    EXPECT_EQ(pu.package, core / 4);
    EXPECT_EQ(pu.os_index, i % 2 == 0 ? core : core + 8);
  }
}

// qemu's x86 guests (tests/vm) give each hardware thread its own L1, which
// hwloc puts between a core and its PUs.
TEST(TopologyTest, SmtRankWhereEachPuHasItsOwnCache) {
  const Topology topo = Topology::load("synthetic:pack:2 core:4 l1d:2 pu:1");
  ASSERT_EQ(topo.pus().size(), 16u);
  for (std::size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(topo.pus()[i].core, static_cast<int>(i / 2)) << "PU " << i;
    EXPECT_EQ(topo.pus()[i].smt_rank, static_cast<int>(i % 2)) << "PU " << i;
  }
}

TEST(TopologyTest, FourNumaNodesInOnePackage) {
  const Topology topo = Topology::load("synthetic:pack:1 numa:4 core:16 pu:1");
  EXPECT_EQ(topo.packages(), 1);
  EXPECT_EQ(topo.numa_nodes(), 4);
  EXPECT_EQ(topo.cores(), 64);
  ASSERT_EQ(topo.pus().size(), 64u);
  for (const Pu& pu : topo.pus()) {
    EXPECT_EQ(pu.numa_node, pu.os_index / 16) << "PU " << pu.os_index;
    EXPECT_EQ(pu.smt_rank, 0);
    EXPECT_EQ(pu.package, 0);
  }
}

TEST(TopologyTest, PuListIsUniqueAndDescribed) {
  const Topology topo = Topology::load("synthetic:pack:2 numa:2 core:2 pu:2");
  std::set<int> seen;
  for (const Pu& pu : topo.pus()) EXPECT_TRUE(seen.insert(pu.os_index).second);
  const nlohmann::json d = topo.describe();
  EXPECT_EQ(d.at("packages"), 2);
  EXPECT_EQ(d.at("numa_nodes"), 4);
  EXPECT_EQ(d.at("pus"), 16);
  EXPECT_EQ(d.at("pu_list").size(), 16u);
  EXPECT_EQ(d.at("source"), "synthetic:pack:2 numa:2 core:2 pu:2");
}

TEST(TopologyTest, BadSpecThrowsNamingIt) {
  try {
    Topology::load("synthetic:bogus:7");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("synthetic:bogus:7"));
  }
  EXPECT_THROW(Topology::load("/nonexistent/topology.xml"), std::invalid_argument);
}

// hwloc's own reason reaches the user: here, an XML from a newer hwloc.
TEST(TopologyTest, HwlocSaysWhyAnXmlCannotBeLoaded) {
  const std::string path = ::testing::TempDir() + "/lockbench_topology_v3.xml";
  std::ofstream(path) << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<!DOCTYPE topology SYSTEM \"hwloc2.dtd\">\n"
                         "<topology version=\"3.0\">\n"
                         "  <object type=\"Machine\" os_index=\"0\" cpuset=\"0x1\"/>\n"
                         "</topology>\n";
  try {
    Topology::load(path);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot import XML version 3.0"));
    EXPECT_THAT(e.what(), HasSubstr(path));
  }
  std::remove(path.c_str());
  try {
    Topology::load("synthetic:pack:2 cre:3");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown object type at 'cre:3'"));
  }
}

// Refused before hwloc builds a billion objects (which takes minutes and
// gigabytes); the count is said.
TEST(TopologyTest, ABoxOrdersOfMagnitudeBeyondTheThreadLimitIsRefused) {
  try {
    Topology::load("synthetic:pack:1000 core:1000 pu:1000");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("has 1000000000 PUs; allowed: 1 to 65536 PUs"));
  }
  // Arities as hwloc reads them: hexadecimal too.
  EXPECT_THROW(Topology::load("synthetic:pack:0x400 core:0x400 pu:0x400"), std::invalid_argument);
  EXPECT_EQ(Topology::load("synthetic:pack:16 core:64 pu:8").pus().size(), 8192u);
}

TEST(TopologyTest, ASyntheticBoxIsCountedFromItsArities) {
  EXPECT_EQ(synthetic_pu_count("pack:2 core:8 pu:2"), 32);
  EXPECT_EQ(synthetic_pu_count("pack:0x400 core:1024 pu:010"), 1024.0 * 1024 * 8);
  // Attributes and memory children are not arities.
  EXPECT_EQ(synthetic_pu_count("pack:2(memory=1000000) [numa(memory=2000000)] core:4 pu:2"), 16);
  EXPECT_EQ(synthetic_pu_count("2 4 2"), 16);
  // What hwloc will refuse anyway is not counted.
  EXPECT_EQ(synthetic_pu_count("pack:2 cre:x"), 0);
  EXPECT_EQ(synthetic_pu_count("pack:-2 pu:2"), 0);
}

TEST(TopologyTest, AnXmlBoxWithoutPusIsRefused) {
  try {
    Topology::load(LOCKBENCH_SOURCE_DIR "/tests/fixtures/topologies/no-pus.xml");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("no-pus.xml' has 0 PUs"));
  }
}

TEST(TopologyTest, ThisMachineLoads) {
  const Topology topo = Topology::load("");
  EXPECT_TRUE(topo.is_this_system());
  EXPECT_GE(topo.pus().size(), 1u);
  EXPECT_GE(topo.packages(), 1);
}

TEST(TopologyTest, MoveKeepsThePus) {
  Topology a = Topology::load("synthetic:pack:1 core:2 pu:1");
  Topology b = std::move(a);
  EXPECT_EQ(b.pus().size(), 2u);
  EXPECT_EQ(b.cores(), 2);
}

}  // namespace
}  // namespace lockbench
