// Memory homes: parsing, resolving on NUMA topologies (planning), refusing
// what a box cannot give, and on this machine, binding the shared state and
// recording where each repetition's memory really was.
#include "harness/measure/memory_home.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "harness/measure/placement.h"
#include "harness/measure/run_point.h"
#include "harness/sweep/sweep.h"
#include "tests/run_spec.h"

namespace lockbench {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

std::string Refusal(const Topology& topology, const std::string& home,
                    const std::vector<int>& cpus) {
  try {
    resolve_home(topology, MemoryHome::parse(home), cpus);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "home " << home << " was not refused";
  return "";
}

TEST(MemoryHomeTest, ParsesWhatIsAllowedAndNamesTheRest) {
  for (const char* text : {"first", "far", "interleave", "node:0", "node:17"}) {
    EXPECT_EQ(MemoryHome::parse(text).to_string(), text);
  }
  for (const char* text : {"", "node:", "node:-1", "node:x", "Node:1", "near", "node:1234567"}) {
    try {
      MemoryHome::parse(text);
      ADD_FAILURE() << "'" << text << "' parsed";
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), HasSubstr(std::string("home '") + text + "'"));
      EXPECT_THAT(e.what(), HasSubstr("node:N"));
    }
  }
}

// 4 packages of 2 NUMA nodes of 4 cores: a compact point of 8 threads
// fills node 0.
TEST(MemoryHomeTest, ResolvesOnANumaBox) {
  const Topology topo = Topology::load("synthetic:pack:4 numa:2 core:4 pu:1");
  const std::vector<int> compact8 =
      plan_cpus(topo, PlacementSpec::parse("compact"), 8, Overflow::wrap);
  const MemoryBinding first = resolve_home(topo, MemoryHome::parse("first"), compact8);
  EXPECT_EQ(first.policy, MemoryBinding::Policy::bind);
  EXPECT_THAT(first.nodes, ElementsAre(0));
  EXPECT_THAT(resolve_home(topo, MemoryHome::parse("node:5"), compact8).nodes, ElementsAre(5));
  EXPECT_THAT(resolve_home(topo, MemoryHome::parse("far"), compact8).nodes, ElementsAre(7));
  const MemoryBinding spread = resolve_home(topo, MemoryHome::parse("interleave"), compact8);
  EXPECT_EQ(spread.policy, MemoryBinding::Policy::interleave);
  EXPECT_EQ(spread.nodes.size(), 8u);
  // Unpinned threads: "first" is the OS's choice, and no node is far.
  const std::vector<int> unpinned(8, kUnpinned);
  EXPECT_EQ(resolve_home(topo, MemoryHome::parse("first"), unpinned).policy,
            MemoryBinding::Policy::os_choice);
  EXPECT_THAT(Refusal(topo, "far", unpinned), HasSubstr("unpinned"));
  const std::vector<int> all = plan_cpus(topo, PlacementSpec::parse("compact"), 32, Overflow::wrap);
  EXPECT_THAT(Refusal(topo, "far", all), HasSubstr("no NUMA node"));
  EXPECT_THAT(Refusal(topo, "node:8", compact8), AllOf(HasSubstr("node:8"), HasSubstr("node:7")));
}

// A KNL in SNC4 has a DDR and an MCDRAM node per quarter, both local to its
// cores: neither is far from a thread there.
TEST(MemoryHomeTest, FarIsFarFromEveryLocalMemory) {
  const Topology knl = Topology::load(
      LOCKBENCH_SOURCE_DIR "/tests/fixtures/topologies/64intel64-fakeKNL-SNC4-hybrid.xml");
  const std::vector<int> cpus = plan_cpus(knl, PlacementSpec::parse("compact"), 48, Overflow::wrap);
  const MemoryBinding far = resolve_home(knl, MemoryHome::parse("far"), cpus);
  ASSERT_EQ(far.nodes.size(), 1u);
  for (int cpu : cpus) {
    const std::vector<int> local = knl.numa_nodes_local_to(cpu);
    EXPECT_EQ(std::count(local.begin(), local.end(), far.nodes[0]), 0) << "CPU " << cpu;
  }
}

// One node: first and interleave run, node:0 too, all on that node with
// nothing to bind; anything else is a bad config, said before anything runs.
TEST(MemoryHomeTest, ConfigsOnOneNode) {
  const Topology topo = Topology::load("synthetic:pack:1 core:2 pu:1");
  json config = {{"name", "t"},
                 {"sweeps",
                  {{{"family", "spinlock"},
                    {"variants", {"ticket"}},
                    {"placements", {"compact"}},
                    {"home", {"first", "interleave", "node:0"}}}}}};
  const Sweep sweep = expand_sweep(config, Selection{}, topo);
  ASSERT_EQ(sweep.points.size(), 6u);
  for (const Point& p : sweep.points) {
    EXPECT_EQ(p.binding.policy, MemoryBinding::Policy::os_choice) << p.name();
  }
  EXPECT_EQ(sweep.points[2].name(), "spinlock/ticket/home:interleave/placement:compact/threads:1");
  for (const char* home : {"node:1", "far", "nowhere"}) {
    config["sweeps"][0]["home"] = home;
    try {
      expand_sweep(config, Selection{}, topo);
      ADD_FAILURE() << home << " planned";
    } catch (const UsageError& e) {
      EXPECT_THAT(e.what(), AllOf(HasSubstr("sweeps[0].home"), HasSubstr(home)));
    }
  }
  Selection selection;
  selection.homes = {"node:3"};
  EXPECT_THROW(expand_sweep(config, selection, topo), UsageError);
}

RunSpec SpinlockAt(const Topology& topo, const std::string& home) {
  RunSpec spec = DefaultSpec("spinlock", "ticket", 2);
  spec.cpus = plan_cpus(topo, PlacementSpec::parse("compact"), 2, Overflow::wrap);
  spec.home = resolve_home(topo, MemoryHome::parse(home), spec.cpus);
  spec.duration_ms = 30;
  return spec;
}

TEST(MemoryHomeTest, EachRepetitionRecordsWhereItsMemoryWas) {
  const Topology topo = Topology::load("");
  const int node = topo.numa_node_os_indices().front();
  const int touched = 1;
  if (topo.memory_nodes_of(&touched, sizeof touched).empty()) {
    GTEST_SKIP() << "the kernel cannot say where memory is (qemu-user has no move_pages)";
  }
  // As planned here (one node: nothing bound), and bound explicitly, as a
  // box with several nodes binds.
  std::vector<RunSpec> specs = {SpinlockAt(topo, "first"), SpinlockAt(topo, "interleave"),
                                SpinlockAt(topo, "first"), SpinlockAt(topo, "first")};
  specs[2].home = {MemoryBinding::Policy::bind, {node}};
  specs[3].home = {MemoryBinding::Policy::interleave, topo.numa_node_os_indices()};
  for (const RunSpec& spec : specs) {
    SCOPED_TRACE(static_cast<int>(spec.home.policy));
    const RunResult r = run_point(spec, topo);
    ASSERT_TRUE(r.valid) << r.error;
    if (topo.numa_nodes() == 1) {
      EXPECT_EQ(r.memory_nodes.at("shared"), json::array({node}));
      EXPECT_THAT(r.memory_nodes.at("threads").get<std::vector<int>>(), Each(node));
    }
    EXPECT_EQ(r.memory_nodes.at("threads").size(), 2u);
  }
}

// A binding the kernel refuses fails the point, naming the node and why.
TEST(MemoryHomeTest, ABindingThatCannotBeMadeFailsThePoint) {
  const Topology topo = Topology::load("");
  RunSpec spec = SpinlockAt(topo, "first");
  spec.home = {MemoryBinding::Policy::bind, {4000}};
  const RunResult r = run_point(spec, topo);
  EXPECT_FALSE(r.valid);
  EXPECT_THAT(r.error, AllOf(HasSubstr("memory:"), HasSubstr("4000")));
}

}  // namespace
}  // namespace lockbench
