// expand_sweep and resolve_threads: config validation (every error names the
// key and the value) and the expansion of a valid config into points.
#include "harness/sweep/sweep.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "benchmarks/families.h"
#include "harness/measure/placement.h"
#include "harness/measure/topology.h"

namespace lockbench {
namespace {

using ::testing::AllOf;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using json = nlohmann::json;

class SweepTest : public ::testing::Test {
 protected:
  // A 2-core, 2-PU, 1-package box.
  SweepTest() : topo_(Topology::load("synthetic:pack:1 core:2 pu:1")) {}

  static json Config(json sweep = json::object()) {
    sweep["family"] = sweep.value("family", json("spinlock"));
    return {{"name", "test"}, {"duration_ms", 10}, {"warmup_ms", 0}, {"sweeps", {sweep}}};
  }

  Sweep Expand(const json& config, const Selection& selection = {}) const {
    return expand_sweep(config, selection, topo_);
  }

  // The UsageError message expand_sweep throws, or a failure if it throws none.
  std::string ErrorOf(const json& config, const Selection& selection = {}) const {
    try {
      expand_sweep(config, selection, topo_);
    } catch (const UsageError& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected a UsageError for " << config.dump();
    return "";
  }

  static std::vector<std::string> Names(const Sweep& sweep) {
    std::vector<std::string> names;
    for (const Point& p : sweep.points) names.push_back(p.name());
    return names;
  }

  Topology topo_;
};

// --- errors ----------------------------------------------------------------

TEST_F(SweepTest, UnknownTopLevelKey) {
  json config = Config();
  config["durationms"] = 5;
  EXPECT_THAT(ErrorOf(config), AllOf(HasSubstr("'durationms'"), HasSubstr("duration_ms")));
}

TEST_F(SweepTest, UnknownSweepKey) {
  EXPECT_THAT(ErrorOf(Config({{"thread", {1}}})),
              AllOf(HasSubstr("'sweeps[0].thread'"), HasSubstr("threads")));
}

TEST_F(SweepTest, UnknownFamily) {
  EXPECT_THAT(ErrorOf(Config({{"family", "rwlock"}})),
              AllOf(HasSubstr("sweeps[0].family"), HasSubstr("\"rwlock\""), HasSubstr("spinlock")));
}

TEST_F(SweepTest, MissingFamily) {
  json config = Config();
  config["sweeps"][0].erase("family");
  EXPECT_THAT(ErrorOf(config), HasSubstr("sweeps[0].family"));
}

TEST_F(SweepTest, UnknownVariant) {
  EXPECT_THAT(
      ErrorOf(Config({{"variants", {"ticket", "rwlock"}}})),
      AllOf(HasSubstr("sweeps[0].variants"), HasSubstr("\"rwlock\""), HasSubstr("pv_ticket")));
}

TEST_F(SweepTest, UnknownParam) {
  EXPECT_THAT(ErrorOf(Config({{"params", {{"cs_us", 5}}}})),
              AllOf(HasSubstr("sweeps[0].params.cs_us"), HasSubstr("cs_ns")));
}

TEST_F(SweepTest, OutOfRangeParam) {
  EXPECT_THAT(ErrorOf(Config({{"params", {{"cs_ns", -1}}}})),
              AllOf(HasSubstr("sweeps[0].params.cs_ns"), HasSubstr("-1")));
  EXPECT_THAT(ErrorOf(Config({{"params", {{"preempt_pct", {0, 101}}}}})),
              AllOf(HasSubstr("sweeps[0].params.preempt_pct"), HasSubstr("101")));
  EXPECT_THAT(ErrorOf(Config({{"params", {{"spin_threshold", 0}}}})),
              AllOf(HasSubstr("sweeps[0].params.spin_threshold"), HasSubstr("value 0")));
}

TEST_F(SweepTest, WrongParamType) {
  EXPECT_THAT(
      ErrorOf(Config({{"params", {{"cs_ns", "abc"}}}})),
      AllOf(HasSubstr("sweeps[0].params.cs_ns"), HasSubstr("\"abc\""), HasSubstr("an integer")));
  // An integer parameter refuses a fraction; a real one takes it.
  EXPECT_THAT(ErrorOf(Config({{"params", {{"ncs_ns", 1.5}}}})),
              AllOf(HasSubstr("sweeps[0].params.ncs_ns"), HasSubstr("1.5")));
  EXPECT_NO_THROW(Expand(Config({{"params", {{"preempt_pct", 0.5}}}})));
  EXPECT_THAT(ErrorOf(Config({{"params", {{"cs_ns", json::array()}}}})),
              HasSubstr("sweeps[0].params.cs_ns"));
  EXPECT_THAT(ErrorOf(Config({{"params", 7}})), HasSubstr("sweeps[0].params"));
}

TEST_F(SweepTest, BadThreadSpecs) {
  for (const json& spec : {json("lots"), json(0), json(100000), json(-2), json("0x"), json("x"),
                           json(2.5), json("8 threads"), json(true), json(nullptr)}) {
    EXPECT_THAT(ErrorOf(Config({{"threads", {1, spec}}})),
                AllOf(HasSubstr("sweeps[0].threads"), HasSubstr(spec.dump())))
        << spec.dump();
  }
  EXPECT_THAT(ErrorOf(Config({{"threads", json::array()}})),
              AllOf(HasSubstr("sweeps[0].threads"), HasSubstr("non-empty")));
}

TEST_F(SweepTest, BadPlacement) {
  EXPECT_THAT(ErrorOf(Config({{"placements", {"none", "sideways"}}})),
              AllOf(HasSubstr("sweeps[0].placements"), HasSubstr("sideways")));
  EXPECT_THAT(ErrorOf(Config({{"placements", {3}}})),
              AllOf(HasSubstr("sweeps[0].placements"), HasSubstr("3")));
}

TEST_F(SweepTest, SplitOnOnePackage) {
  EXPECT_THAT(
      ErrorOf(Config({{"placements", {"split"}}})),
      AllOf(HasSubstr("sweeps[0].placements"), HasSubstr("split"), HasSubstr("2 packages")));
}

TEST_F(SweepTest, BadSettings) {
  for (const char* key : {"duration_ms", "repetitions", "sample_every"}) {
    json config = Config();
    config[key] = 0;
    EXPECT_THAT(ErrorOf(config), AllOf(HasSubstr(std::string("'") + key + "'"), HasSubstr("0")));
  }
  json config = Config();
  config["watchdog_s"] = "soon";
  EXPECT_THAT(ErrorOf(config), AllOf(HasSubstr("'watchdog_s'"), HasSubstr("\"soon\"")));
  config = Config();
  config["overflow"] = "spill";
  EXPECT_THAT(ErrorOf(config), AllOf(HasSubstr("'overflow'"), HasSubstr("\"spill\"")));
  config = Config();
  config["sweeps"] = json::array();
  EXPECT_THAT(ErrorOf(config), HasSubstr("sweeps"));
  config["sweeps"] = {5};
  EXPECT_THAT(ErrorOf(config), AllOf(HasSubstr("sweeps[0]"), HasSubstr("5")));
}

TEST_F(SweepTest, SetOfUnknownParameter) {
  Selection selection;
  selection.sets = {"cs_us=5"};
  EXPECT_THAT(ErrorOf(Config(), selection), HasSubstr("--set 'cs_us'"));
  selection.sets = {"cs_ns"};
  EXPECT_THAT(ErrorOf(Config(), selection), HasSubstr("--set 'cs_ns'"));
}

TEST_F(SweepTest, SetOfBadValue) {
  Selection selection;
  selection.sets = {"cs_ns=abc"};
  EXPECT_THAT(ErrorOf(Config(), selection), AllOf(HasSubstr("cs_ns"), HasSubstr("\"abc\"")));
}

TEST_F(SweepTest, VariantNotInAnyFamily) {
  Selection selection;
  selection.variants = {"ticket", "rwlock"};
  EXPECT_THAT(ErrorOf(Config(), selection), HasSubstr("--variant 'rwlock'"));
}

TEST_F(SweepTest, UnknownFamilySelected) {
  Selection selection;
  selection.families = {"rwlock"};
  EXPECT_THAT(ErrorOf(Config(), selection), HasSubstr("--family 'rwlock'"));
}

TEST_F(SweepTest, BadCommandLineThreadsAndPlacement) {
  Selection threads;
  threads.threads = {"lots"};
  EXPECT_THAT(ErrorOf(Config(), threads), AllOf(HasSubstr("--threads"), HasSubstr("lots")));
  Selection placement;
  placement.placements = {"bogus"};
  EXPECT_THAT(ErrorOf(Config(), placement), AllOf(HasSubstr("--placement"), HasSubstr("bogus")));
}

// A non-string family or name is a UsageError naming the key, like every
// other bad value (not a JSON library type error).
TEST_F(SweepTest, NonStringFamilyIsAUsageError) {
  EXPECT_THAT(ErrorOf(Config({{"family", 5}})), HasSubstr("sweeps[0].family"));
  json config = Config();
  config["name"] = 5;
  EXPECT_THAT(ErrorOf(config), HasSubstr("name"));
}

// --- thread specs ------------------------------------------------------------

TEST_F(SweepTest, ResolveThreads) {
  EXPECT_EQ(resolve_threads("cores", topo_, "k"), 2);
  EXPECT_EQ(resolve_threads("pus", topo_, "k"), 2);
  EXPECT_EQ(resolve_threads("2x", topo_, "k"), 4);
  EXPECT_EQ(resolve_threads("4x", topo_, "k"), 8);
  EXPECT_EQ(resolve_threads("0.5x", topo_, "k"), 1);
  EXPECT_EQ(resolve_threads("0.1x", topo_, "k"), 1);
  EXPECT_EQ(resolve_threads(8, topo_, "k"), 8);
  EXPECT_EQ(resolve_threads("8", topo_, "k"), 8);
  EXPECT_EQ(resolve_threads(kMaxThreads, topo_, "k"), kMaxThreads);
  EXPECT_THROW(resolve_threads(kMaxThreads + 1, topo_, "k"), UsageError);
  EXPECT_THROW(resolve_threads("5000x", topo_, "k"), UsageError);
  try {
    resolve_threads("lots", topo_, "my.key");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("my.key"), HasSubstr("\"lots\""), HasSubstr("cores")));
  }
}

TEST_F(SweepTest, ResolveThreadsOnSmtBox) {
  const Topology smt = Topology::load("synthetic:pack:1 core:2 pu:2");
  EXPECT_EQ(resolve_threads("cores", smt, "k"), 2);
  EXPECT_EQ(resolve_threads("pus", smt, "k"), 4);
  EXPECT_EQ(resolve_threads("2x", smt, "k"), 8);
}

TEST_F(SweepTest, ThreadSpecsResolveAndDedupe) {
  const Sweep sweep = Expand(
      Config({{"variants", {"ticket"}}, {"threads", {1, "cores", "pus", "2x", "4x", 2, "1"}}}));
  std::vector<int> counts;
  for (const Point& p : sweep.points) counts.push_back(p.threads);
  EXPECT_THAT(counts, ElementsAre(1, 2, 4, 8));
}

TEST_F(SweepTest, CommandLineThreadsReplaceTheConfigs) {
  Selection selection;
  selection.threads = {"2x", "3"};
  const Sweep sweep = Expand(Config({{"variants", {"ticket"}}, {"threads", {1}}}), selection);
  std::vector<int> counts;
  for (const Point& p : sweep.points) counts.push_back(p.threads);
  EXPECT_THAT(counts, ElementsAre(4, 3));
}

// --- expansion ---------------------------------------------------------------

TEST_F(SweepTest, DefaultsExcludeTheBrokenVariant) {
  const Sweep sweep = Expand(Config());
  std::set<std::string> variants;
  for (const Point& p : sweep.points) variants.insert(p.variant->name);
  EXPECT_THAT(variants, UnorderedElementsAre("ticket", "pv_ticket", "std_mutex", "ck_ticket", "mcs",
                                             "qspinlock", "pv_qspinlock", "tas", "xen_byte"));
  // Default threads are 1 and "pus", default placement none.
  EXPECT_EQ(sweep.points.size(), 9u * 2u);
  for (const Point& p : sweep.points) {
    EXPECT_STREQ(p.placement.policy->name, "none");
    EXPECT_EQ(p.cpus.size(), static_cast<std::size_t>(p.threads));
    EXPECT_THAT(p.cpus, Each(kUnpinned));
    EXPECT_EQ(p.roles.size(), static_cast<std::size_t>(p.threads));
  }
}

TEST_F(SweepTest, VariantSelectionPicksTheBrokenOne) {
  Selection selection;
  selection.variants = {"pv_ticket_norecheck"};
  const Sweep sweep = Expand(Config(), selection);
  ASSERT_FALSE(sweep.points.empty());
  for (const Point& p : sweep.points) EXPECT_EQ(p.variant->name, "pv_ticket_norecheck");
  // Listing it in the config works too.
  const Sweep listed = Expand(Config({{"variants", {"pv_ticket_norecheck"}}}));
  ASSERT_FALSE(listed.points.empty());
  EXPECT_EQ(listed.points[0].variant->kind, VariantKind::broken);
}

TEST_F(SweepTest, EveryParameterIsFilledIn) {
  const Sweep sweep = Expand(Config({{"variants", {"ticket"}}, {"params", {{"cs_ns", 100}}}}));
  const Family* family = find_family("spinlock");
  ASSERT_NE(family, nullptr);
  for (const Point& p : sweep.points) {
    EXPECT_EQ(p.family, family);
    EXPECT_EQ(p.params.size(), family->info().params.size());
    for (const ParamInfo& info : family->info().params) {
      ASSERT_TRUE(p.params.contains(info.name)) << info.name;
      if (info.name != "cs_ns") {
        EXPECT_EQ(p.params.at(info.name), info.default_value) << info.name;
      }
    }
    EXPECT_EQ(p.params.at("cs_ns"), 100);
  }
}

TEST_F(SweepTest, SetOverridesAParameter) {
  Selection selection;
  selection.sets = {"cs_ns=100"};
  const Sweep sweep = Expand(Config({{"params", {{"cs_ns", {0, 50, 1000}}}}}), selection);
  ASSERT_FALSE(sweep.points.empty());
  for (const Point& p : sweep.points) {
    EXPECT_EQ(p.params.at("cs_ns"), 100);
    EXPECT_THAT(p.name(), HasSubstr("/cs_ns:100/"));
  }
  EXPECT_EQ(sweep.points.size(), 9u * 2u);
}

TEST_F(SweepTest, PointNames) {
  const Sweep sweep = Expand(Config({{"variants", {"ticket"}},
                                     {"threads", {2}},
                                     {"placements", {"none", "compact"}},
                                     {"params", {{"cs_ns", {50, 100}}}}}));
  EXPECT_THAT(Names(sweep), ElementsAre("spinlock/ticket/placement:none/threads:2",
                                        "spinlock/ticket/placement:compact/threads:2",
                                        "spinlock/ticket/cs_ns:100/placement:none/threads:2",
                                        "spinlock/ticket/cs_ns:100/placement:compact/threads:2"));
  EXPECT_THAT(sweep.points[1].cpus, ElementsAre(0, 1));
}

TEST_F(SweepTest, PointNamesListEveryNonDefaultParameter) {
  const Sweep sweep = Expand(
      Config({{"variants", {"pv_ticket"}},
              {"threads", {1}},
              {"params", {{"spin_threshold", 64}, {"preempt_pct", 2.5}, {"step_sleep_pct", 0}}}}));
  EXPECT_THAT(Names(sweep), ElementsAre("spinlock/pv_ticket/spin_threshold:64/preempt_pct:2.5/"
                                        "placement:none/threads:1"));
}

TEST_F(SweepTest, DuplicatePointsAreDropped) {
  const Sweep sweep = Expand(Config({{"variants", {"ticket", "ticket"}},
                                     {"threads", {2}},
                                     {"placements", {"none", "none"}},
                                     {"params", {{"cs_ns", {50, 50}}}}}));
  EXPECT_THAT(Names(sweep), ElementsAre("spinlock/ticket/placement:none/threads:2"));
}

// `sched`: per sweep, a policy or a list of them, crossed with the other
// dimensions; rr points say so in their names, other (the default) does not.
TEST_F(SweepTest, SchedPoliciesArePointsOfTheSweep) {
  const Sweep plain = Expand(Config({{"variants", {"ticket"}}, {"threads", {8}}}));
  ASSERT_EQ(plain.points.size(), 1u);
  EXPECT_EQ(plain.points[0].sched, SchedPolicy::other);

  const Sweep both = Expand(Config(
      {{"variants", {"ticket", "pv_qspinlock"}}, {"threads", {8}}, {"sched", {"other", "rr"}}}));
  EXPECT_THAT(Names(both), ElementsAre("spinlock/ticket/placement:none/threads:8",
                                       "spinlock/ticket/sched:rr/placement:none/threads:8",
                                       "spinlock/pv_qspinlock/placement:none/threads:8",
                                       "spinlock/pv_qspinlock/sched:rr/placement:none/threads:8"));
  EXPECT_EQ(both.points[1].sched, SchedPolicy::rr);
  EXPECT_TRUE(both.points[1].oversubscribed);

  const Sweep one = Expand(Config({{"variants", {"ticket"}}, {"sched", "rr"}}));
  for (const Point& p : one.points) EXPECT_EQ(p.sched, SchedPolicy::rr);
  // --sched replaces the config's.
  Selection selection;
  selection.scheds = {"other"};
  for (const Point& p : Expand(Config({{"sched", "rr"}}), selection).points) {
    EXPECT_EQ(p.sched, SchedPolicy::other);
  }
}

TEST_F(SweepTest, BadSchedValuesNameTheKeyTheValueAndWhatIsAllowed) {
  for (const json& value : {json("fifo"), json("RR"), json(""), json(1), json(nullptr),
                            json({"other", "deadline"}), json::object()}) {
    EXPECT_THAT(ErrorOf(Config({{"sched", value}})),
                AllOf(HasSubstr("'sweeps[0].sched'"), HasSubstr("\"other\""), HasSubstr("\"rr\"")))
        << value.dump();
  }
  EXPECT_THAT(ErrorOf(Config({{"sched", "fifo"}})), HasSubstr("value \"fifo\" is not allowed"));
  EXPECT_THAT(ErrorOf(Config({{"sched", json::array()}})),
              AllOf(HasSubstr("sweeps[0].sched"), HasSubstr("non-empty")));
  // Not a top-level key: a policy belongs to the points of a sweep.
  json top = Config();
  top["sched"] = "rr";
  EXPECT_THAT(ErrorOf(top), AllOf(HasSubstr("'sched' is unknown"), HasSubstr("sweeps")));
  Selection selection;
  selection.scheds = {"batch"};
  EXPECT_THAT(ErrorOf(Config(), selection),
              AllOf(HasSubstr("--sched"), HasSubstr("\"batch\""), HasSubstr("\"rr\"")));
}

TEST_F(SweepTest, AdaptiveRepetitionsFromTheConfigOrTheCommandLine) {
  json config = Config({{"variants", {"ticket"}}});
  config["repetitions"] = "auto";
  config["target_ci_pct"] = 2.5;
  config["max_repetitions"] = 12;
  Sweep sweep = Expand(config);
  EXPECT_TRUE(sweep.settings.adaptive);
  EXPECT_DOUBLE_EQ(sweep.settings.target_ci, 0.025);
  EXPECT_EQ(sweep.settings.max_repetitions, 12);
  EXPECT_EQ(sweep.settings.repetitions_json(), "auto");
  EXPECT_THAT(sweep.estimate_text(), HasSubstr("at most"));
  EXPECT_LT(sweep.estimated_seconds(), sweep.longest_seconds());

  Selection fixed;
  fixed.repetitions = 4;
  sweep = Expand(config, fixed);
  EXPECT_FALSE(sweep.settings.adaptive);
  EXPECT_EQ(sweep.settings.repetitions, 4);

  Selection adaptive;
  adaptive.repetitions_auto = true;
  adaptive.target_ci_pct = 10;
  adaptive.max_repetitions = 20;
  sweep = Expand(Config(), adaptive);
  EXPECT_TRUE(sweep.settings.adaptive);
  EXPECT_DOUBLE_EQ(sweep.settings.target_ci, 0.1);
  EXPECT_EQ(sweep.settings.max_repetitions, 20);

  config["repetitions"] = "often";
  EXPECT_THAT(ErrorOf(config), AllOf(HasSubstr("'repetitions'"), HasSubstr("\"often\""),
                                     HasSubstr("\"auto\"")));
  config["repetitions"] = "auto";
  config["target_ci_pct"] = 0;
  EXPECT_THAT(ErrorOf(config), AllOf(HasSubstr("'target_ci_pct'"), HasSubstr("0.1..100")));
  config["target_ci_pct"] = 5;
  config["max_repetitions"] = 2;
  EXPECT_THAT(ErrorOf(config), AllOf(HasSubstr("'max_repetitions'"), HasSubstr("3..1000")));
}

TEST_F(SweepTest, PointsKnowWhetherTheyOversubscribe) {
  const Sweep sweep = Expand(Config({{"variants", {"ticket"}},
                                     {"threads", {2, 4}},
                                     {"placements", {"none", "compact"}}}));
  for (const Point& p : sweep.points) EXPECT_EQ(p.oversubscribed, p.threads > 2) << p.name();
}

TEST_F(SweepTest, SettingsAndSelectionOverrides) {
  json config = Config({{"variants", {"ticket"}}});
  config["duration_ms"] = 250;
  config["warmup_ms"] = 30;
  config["repetitions"] = 5;
  config["watchdog_s"] = 1.5;
  config["sample_every"] = 8;
  config["overflow"] = "unpinned";
  const Sweep sweep = Expand(config);
  EXPECT_EQ(sweep.name, "test");
  EXPECT_EQ(sweep.settings.duration_ms, 250u);
  EXPECT_EQ(sweep.settings.warmup_ms, 30u);
  EXPECT_EQ(sweep.settings.repetitions, 5);
  EXPECT_DOUBLE_EQ(sweep.settings.watchdog_s, 1.5);
  EXPECT_EQ(sweep.settings.sample_every, 8u);
  EXPECT_EQ(sweep.settings.overflow, Overflow::unpinned);
  EXPECT_EQ(sweep.config, config);
  EXPECT_GT(sweep.estimated_seconds(), 0.0);

  Selection selection;
  selection.duration_ms = 40;
  selection.repetitions = 1;
  const Sweep narrowed = Expand(config, selection);
  EXPECT_EQ(narrowed.settings.duration_ms, 40u);
  EXPECT_EQ(narrowed.settings.repetitions, 1);
}

TEST_F(SweepTest, OverflowSettingReachesThePlan) {
  json config = Config({{"variants", {"ticket"}}, {"threads", {3}}, {"placements", {"compact"}}});
  EXPECT_THAT(Expand(config).points.at(0).cpus, ElementsAre(0, 1, 0));
  config["overflow"] = "unpinned";
  EXPECT_THAT(Expand(config).points.at(0).cpus, ElementsAre(0, 1, kUnpinned));
}

// A point whose roles cannot all be filled would measure nothing: evtchn's
// 1:1 ratio at 1 thread has no producer.
TEST_F(SweepTest, PointWithoutAProducerIsRefused) {
  const std::string error = ErrorOf(Config({{"family", "evtchn"}, {"threads", {1, 2}}}));
  EXPECT_THAT(error, HasSubstr("sweeps[0].threads 1"));
  EXPECT_THAT(error, HasSubstr("evtchn/global/placement:none/threads:1"));
  EXPECT_THAT(error, HasSubstr("ratio of 1:1 needs a producer and a consumer"));
  // With no producer asked for, one thread is a whole point.
  const Sweep sweep = Expand(Config({{"family", "tasklet"}, {"threads", {1}}}));
  EXPECT_FALSE(sweep.points.empty());
}

// A broken variant runs with the parameters that provoke it, over the
// family defaults and the config's values; --set still wins.
TEST_F(SweepTest, BrokenVariantCarriesItsOwnParameters) {
  const Family* family = find_family("spinlock");
  const json overrides = family->find_variant("pv_ticket_norecheck")->overrides;
  ASSERT_FALSE(overrides.empty());
  Selection selection;
  selection.variants = {"pv_ticket_norecheck", "pv_ticket"};
  const Sweep sweep = Expand(Config({{"params", {{"spin_threshold", 4096}}}}), selection);
  ASSERT_FALSE(sweep.points.empty());
  for (const Point& p : sweep.points) {
    for (const auto& [key, value] : overrides.items()) {
      if (p.variant->name == "pv_ticket_norecheck") {
        EXPECT_EQ(p.params.at(key), value) << key;
        EXPECT_THAT(p.name(), HasSubstr("/" + key + ":" + value.dump()));
      }
    }
    if (p.variant->name == "pv_ticket") {
      EXPECT_EQ(p.params.at("spin_threshold"), 4096);
    }
  }
  selection.sets = {"spin_threshold=100"};
  for (const Point& p : Expand(Config(), selection).points) {
    EXPECT_EQ(p.params.at("spin_threshold"), 100) << p.name();
  }
}

TEST_F(SweepTest, EveryBrokenVariantCarriesParametersOrNeedsNone) {
  for (const Family* family : all_families()) {
    for (const VariantInfo& v : family->info().variants) {
      if (v.kind != VariantKind::broken) {
        EXPECT_TRUE(v.overrides.empty()) << v.name;
      }
      for (const auto& [key, value] : v.overrides.items()) {
        EXPECT_NE(family->find_param(key), nullptr) << v.name << " " << key;
      }
    }
  }
}

TEST_F(SweepTest, DuplicateKeysAreRefusedNamingThem) {
  const auto error_of = [](const std::string& text) {
    try {
      parse_config(text, "dup.json");
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_THAT(error_of(R"({"sweeps": [{"family": "spinlock", "family": "tasklet"}]})"),
              AllOf(HasSubstr("dup.json"), HasSubstr("'sweeps[0].family' is given twice")));
  EXPECT_THAT(error_of(R"({"name": "a", "sweeps": [], "name": "b"})"),
              HasSubstr("'name' is given twice"));
  EXPECT_THAT(error_of(R"({"sweeps": [{"family": "x"}, {"params": {"a": 1, "b": [1, {"c": 1, "c": 2}]}}]})"),
              HasSubstr("'sweeps[1].params.b[1].c' is given twice"));
  // The same key in different objects is fine.
  EXPECT_EQ(error_of(R"({"sweeps": [{"family": "spinlock"}, {"family": "tasklet"}]})"), "accepted");
}

TEST_F(SweepTest, ConfigThatNeedsPackagesSaysSo) {
  json config = Config();
  config["min_packages"] = 2;
  EXPECT_THAT(ErrorOf(config), AllOf(HasSubstr("needs at least 2 packages (min_packages)"),
                                     HasSubstr("1 package")));
  const Topology two = Topology::load("synthetic:pack:2 core:2 pu:1");
  EXPECT_FALSE(expand_sweep(config, Selection{}, two).points.empty());
}

TEST_F(SweepTest, ConfigThatNeedsNumaNodesSaysSo) {
  json config = Config();
  config["min_numa_nodes"] = 2;
  EXPECT_THAT(ErrorOf(config), HasSubstr("needs at least 2 NUMA nodes (min_numa_nodes)"));
  const Topology nps2 = Topology::load("synthetic:pack:1 numa:2 core:2 pu:1");
  EXPECT_FALSE(expand_sweep(config, Selection{}, nps2).points.empty());
}

// The estimate counts each point's threads and the repetitions adaptive
// rounds are expected to take, between 6 and max_repetitions.
TEST_F(SweepTest, EstimatesCountThreadsAndExpectedRepetitions) {
  json config = Config({{"threads", {1, 8}}});
  config["repetitions"] = "auto";
  config["max_repetitions"] = 12;
  const Sweep sweep = Expand(config);
  EXPECT_DOUBLE_EQ(sweep.expected_repetitions(), 9);
  EXPECT_GT(sweep.run_seconds(sweep.points.back()), sweep.run_seconds(sweep.points.front()));
  double seconds = 0;
  for (const Point& p : sweep.points) seconds += sweep.run_seconds(p) * 9;
  EXPECT_DOUBLE_EQ(sweep.estimated_seconds(), seconds);
  EXPECT_DOUBLE_EQ(sweep.longest_seconds(), seconds / 9 * 12);
}

TEST_F(SweepTest, LongSweepsAreEstimatedInWords) {
  json config = Config();
  config["duration_ms"] = 3600000;
  config["repetitions"] = 1000;
  const Sweep sweep = Expand(config);
  EXPECT_GT(sweep.estimated_seconds(), kLongSweepS);
  EXPECT_THAT(sweep.estimate_text(), HasSubstr("days"));
  EXPECT_THAT(Expand(Config()).estimate_text(), HasSubstr(" s"));
}

// Every shipped config plans, with parameters that grow with the machine, on
// boxes from 2 to 1024 PUs and 1 to 8 packages; a config that needs more
// packages or NUMA nodes than a box has is refused saying so.
TEST(ShippedConfigsTest, PlanOnEveryBoxSize) {
  const std::string root = std::string(LOCKBENCH_SOURCE_DIR) + "/configs/";
  const char* configs[] = {"quick.json", "default.json", "oversubscribe.json", "numa-large.json"};
  const char* boxes[] = {
      "pack:1 core:2 pu:1",         "pack:1 core:1 pu:2",         "pack:1 core:4 pu:2",
      "pack:2 core:4 pu:2",         "pack:2 numa:2 core:16 pu:2", "pack:4 numa:2 core:12 pu:2",
      "pack:24 core:8 pu:1",        "pack:2 numa:2 core:64 pu:2", "pack:8 core:64 pu:2",
      "pack:4 numa:4 core:32 pu:2", "pack:2 numa:2 core:24 pu:2", "pack:1 numa:2 core:4 pu:1",
      "pack:1 numa:4 core:8 pu:2"};
  for (const char* box : boxes) {
    const Topology topology = Topology::load(std::string("synthetic:") + box);
    for (const char* name : configs) {
      const json config = read_config_file(root + name);
      SCOPED_TRACE(std::string(name) + " on " + box);
      if (topology.packages() < config.value("min_packages", 1) ||
          topology.numa_nodes() < config.value("min_numa_nodes", 1)) {
        EXPECT_THROW(expand_sweep(config, Selection{}, topology), UsageError);
        continue;
      }
      try {
        EXPECT_FALSE(expand_sweep(config, Selection{}, topology).points.empty());
      } catch (const UsageError& e) {
        ADD_FAILURE() << e.what();
      }
    }
  }
}

TEST_F(SweepTest, ReadConfigFile) {
  const std::string dir = ::testing::TempDir();
  const std::string good = dir + "/lockbench_sweep_test_good.json";
  const std::string bad = dir + "/lockbench_sweep_test_bad.json";
  {
    std::ofstream(good) << Config().dump();
    std::ofstream(bad) << "[1, 2";
  }
  EXPECT_EQ(read_config_file(good), Config());
  EXPECT_THROW(read_config_file(bad), UsageError);
  EXPECT_THROW(read_config_file(dir + "/lockbench_sweep_test_missing.json"), UsageError);
  std::remove(good.c_str());
  std::remove(bad.c_str());
}

}  // namespace
}  // namespace lockbench
