// RunResult's JSON form, the results file, and Jain's fairness index.
#include "harness/sweep/results.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "harness/measure/run_point.h"
#include "harness/measure/topology.h"
#include "harness/sweep/gbench_replay.h"
#include "harness/sweep/result_entry.h"
#include "harness/sweep/sweep.h"
#include "tests/temp_dir.h"

namespace lockbench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

RunResult SampleResult() {
  RunResult r;
  r.valid = true;
  r.seconds = 0.25;
  r.ops = 12345678901ULL;
  r.thread_ops = {6000000000ULL, 6345678901ULL};
  r.cpus_seen = {0, -1};
  r.fairness = 0.998;
  r.share_min = 0.97;
  r.share_max = 1.03;
  r.latency_ns = {{"p50", 120}, {"p99", 4000}, {"max", 90000}, {"mean", 310.5}, {"samples", 512}};
  r.lock_stats = {{"lock", {{"acquisitions", 12345678901ULL}, {"contended_pct", 42.5}}}};
  r.counters = {{"blocks", 7}, {"kicks", 6}};
  r.handoff_ns = 38.5;
  return r;
}

TEST(RunResultTest, JsonRoundTrip) {
  const RunResult r = SampleResult();
  const json j = r.to_json();
  const RunResult back = RunResult::from_json(json::parse(j.dump()));
  EXPECT_EQ(back.valid, r.valid);
  EXPECT_EQ(back.error, r.error);
  EXPECT_DOUBLE_EQ(back.seconds, r.seconds);
  EXPECT_EQ(back.ops, r.ops);
  EXPECT_EQ(back.thread_ops, r.thread_ops);
  EXPECT_EQ(back.cpus_seen, r.cpus_seen);
  EXPECT_DOUBLE_EQ(back.fairness, r.fairness);
  EXPECT_DOUBLE_EQ(back.share_min, r.share_min);
  EXPECT_DOUBLE_EQ(back.share_max, r.share_max);
  EXPECT_EQ(back.latency_ns, r.latency_ns);
  EXPECT_EQ(back.lock_stats, r.lock_stats);
  EXPECT_EQ(back.counters, r.counters);
  EXPECT_DOUBLE_EQ(back.handoff_ns, r.handoff_ns);
  EXPECT_EQ(back.to_json(), j);
}

TEST(FlatCountersTest, NamedByTheirPath) {
  const RunResult r = SampleResult();
  const std::map<std::string, double> counters = flat_counters(r);
  EXPECT_EQ(counters.at("counters.blocks"), 7);
  EXPECT_EQ(counters.at("counters.kicks"), 6);
  EXPECT_EQ(counters.at("lock_stats.lock.contended_pct"), 42.5);
  EXPECT_EQ(counters.at("latency_ns.p99"), 4000);
}

TEST(FlatCountersTest, AFamilyWithoutCountersOrLockClassesHasNone) {
  RunResult r = SampleResult();
  r.counters = json::object();
  r.lock_stats = json::object();
  const std::map<std::string, double> counters = flat_counters(r);
  for (const auto& [name, value] : counters) {
    EXPECT_THAT(name, ::testing::StartsWith("latency_ns.")) << name;
  }
  EXPECT_FALSE(counters.empty());
}

// A point of a family that declares no counters and no lock classes.
TEST(FlatCountersTest, ItsResultEntryHasEmptyGroups) {
  const Family family(FamilyInfo{
      .name = "bare",
      .summary = "nothing but operations",
      .variants = {{"only", VariantKind::reference, "the one",
                    [](const Params&, const std::vector<int>&) -> std::unique_ptr<Workload> {
                      return nullptr;
                    }}},
      .params = {},
      .counter_names = {},
      .lock_classes = {},
      .report = {.operation = "steps"}});
  Point point;
  point.family = &family;
  point.variant = &family.info().variants[0];
  PointLog log;
  log.runs.push_back(SampleResult());
  log.runs[0].counters = json::object();
  log.runs[0].lock_stats = json::object();
  benchmark::BenchmarkReporter::Run run;
  run.run_type = benchmark::BenchmarkReporter::Run::RT_Iteration;
  run.repetition_index = 0;
  for (const auto& [name, value] : flat_counters(log.runs[0])) run.counters[name] = value;
  for (const char* name : {"ops_per_sec", "ns_per_op", "fairness", "share_min", "share_max"}) {
    run.counters[name] = 1;
  }
  const json entry = result_entry(point, log, run, 0.05);
  EXPECT_EQ(entry.at("counters"), json::object());
  EXPECT_EQ(entry.at("lock_stats"), json::object());
  EXPECT_EQ(entry.at("latency_ns").at("p99"), 4000);
  EXPECT_EQ(entry.at("handoff_ns"), 38.5);  // the repetition's machine state
}

TEST(RunResultTest, FailedRoundTrip) {
  const RunResult failed = RunResult::failed("watchdog: stuck");
  EXPECT_FALSE(failed.valid);
  const RunResult back = RunResult::from_json(json::parse(failed.to_json().dump()));
  EXPECT_FALSE(back.valid);
  EXPECT_EQ(back.error, "watchdog: stuck");
  EXPECT_EQ(back.ops, 0u);
  EXPECT_TRUE(back.thread_ops.empty());
}

TEST(RunResultTest, FromJsonRejectsMissingFields) {
  json j = SampleResult().to_json();
  j.erase("ops");
  EXPECT_THROW(RunResult::from_json(j), json::exception);
}

TEST_F(TempDirTest, ResultsFileAppendKeepsEarlierEntries) {
  const std::string path = dir_ + "/results.json";
  const json context = {{"schema_version", kSchemaVersion}, {"host", "test"}};
  ResultsFile file(ResultsTarget::claim(path, "--out", {}), context);
  json doc = json::parse(Read(path));
  EXPECT_EQ(doc.at("context"), context);
  EXPECT_EQ(doc.at("benchmarks"), json::array());

  file.append({json{{"name", "a"}}, json{{"name", "b"}}});
  file.append({json{{"name", "c"}}});
  file.append({});
  doc = json::parse(Read(path));
  EXPECT_EQ(doc.at("context"), context);
  ASSERT_EQ(doc.at("benchmarks").size(), 3u);
  EXPECT_EQ(doc["benchmarks"][0]["name"], "a");
  EXPECT_EQ(doc["benchmarks"][1]["name"], "b");
  EXPECT_EQ(doc["benchmarks"][2]["name"], "c");
  EXPECT_EQ(doc, file.document());
  EXPECT_THAT(Files(), ElementsAre("results.json"));
}

TEST(ResultsContextTest, NamesTheMachineAndTheSweep) {
  const Topology topo = Topology::load("synthetic:pack:2 core:2 pu:2");
  const json config = {{"name", "ctx"},
                       {"duration_ms", 20},
                       {"sweeps", {{{"family", "spinlock"}, {"variants", {"ticket"}}}}}};
  const Sweep sweep = expand_sweep(config, {}, topo);
  const json context = lockbench_context(sweep, topo);
  EXPECT_EQ(context.at("schema_version"), kSchemaVersion);
  EXPECT_EQ(context.at("config"), config);
  EXPECT_EQ(context.at("topology").at("pus"), 8);
  EXPECT_EQ(context.at("settings").at("duration_ms"), 20);
  for (const char* key : {"arch", "cpu_model", "relax_instruction", "cache_line", "compiler",
                          "compiler_flags", "git_revision"}) {
    EXPECT_TRUE(context.contains(key)) << key;
  }
}

TEST(JainFairnessTest, KnownInputs) {
  EXPECT_DOUBLE_EQ(jain_fairness({5, 5, 5, 5}), 1.0);
  EXPECT_DOUBLE_EQ(jain_fairness({7}), 1.0);
  EXPECT_DOUBLE_EQ(jain_fairness({10, 0}), 0.5);
  EXPECT_DOUBLE_EQ(jain_fairness({10, 0, 0, 0}), 0.25);
  EXPECT_DOUBLE_EQ(jain_fairness({1, 3}), 0.8);  // 16 / (2 * 10)
  EXPECT_DOUBLE_EQ(jain_fairness({1000000000000ULL, 1000000000000ULL}), 1.0);
}

TEST(JainFairnessTest, NothingCountedIsZero) {
  EXPECT_EQ(jain_fairness({}), 0.0);
  EXPECT_EQ(jain_fairness({0, 0, 0}), 0.0);
}

}  // namespace
}  // namespace lockbench
