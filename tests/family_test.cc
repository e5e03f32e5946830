// What a family may declare: the harness refuses, when the family is built,
// declarations it could not run (more counters or lock classes than a
// ThreadContext holds, a name twice, an override of no parameter); and the
// producer:consumer split refuses a point that cannot have both.
#include "harness/measure/family.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace lockbench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A variant's workload, never built: these tests only declare.
std::unique_ptr<Workload> NoWorkload(const Params&, const std::vector<int>&) { return nullptr; }

FamilyInfo Valid() {
  return FamilyInfo{.name = "declared",
                    .summary = "a family for its declarations",
                    .variants = {{"a", VariantKind::global, "one", NoWorkload},
                                 {"b", VariantKind::scalable, "two", NoWorkload}},
                    .params = {{.name = "n",
                                .kind = ParamInfo::Kind::integer,
                                .default_value = 1,
                                .min = 0,
                                .max = 10,
                                .help = "a number"}},
                    .counter_names = {"events"},
                    .lock_classes = {"lock"},
                    .derived_counter_names = {"events_per_sec"},
                    .report = {.operation = "events",
                               .figures = {{"events", "events (per s)"},
                                           {"events_per_sec", "events per second",
                                            CounterFigure::Scale::as_is}}}};
}

std::string RefusalOf(const FamilyInfo& info) {
  try {
    Family family(info);
  } catch (const std::logic_error& e) {
    return e.what();
  }
  return "accepted";
}

std::vector<std::string> Names(const char* stem, int n) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back(std::string(stem).append(std::to_string(i)));
  return names;
}

TEST(FamilyRegistrationTest, AValidDeclarationIsAccepted) { EXPECT_EQ(RefusalOf(Valid()), "accepted"); }

TEST(FamilyRegistrationTest, AsManyCountersAndLockClassesAsAThreadContextHolds) {
  FamilyInfo info = Valid();
  info.report.figures.clear();  // they name "events"
  info.counter_names = Names("c", kMaxCounters);
  info.lock_classes = Names("l", kMaxLockClasses);
  EXPECT_EQ(RefusalOf(info), "accepted");
  info.counter_names = Names("c", kMaxCounters + 1);
  EXPECT_THAT(RefusalOf(info), HasSubstr("family 'declared' declares 17 counters; allowed: at most kMaxCounters = 16"));
  info.counter_names = Names("c", 2);
  info.lock_classes = Names("l", kMaxLockClasses + 1);
  EXPECT_THAT(RefusalOf(info), HasSubstr("5 lock classes; allowed: at most kMaxLockClasses = 4"));
}

TEST(FamilyRegistrationTest, NamesAreDeclaredOnce) {
  FamilyInfo info = Valid();
  info.variants.push_back({"a", VariantKind::reference, "again", NoWorkload});
  EXPECT_THAT(RefusalOf(info), HasSubstr("declares the variant 'a' twice"));
  info = Valid();
  info.counter_names = {"x", "x"};
  EXPECT_THAT(RefusalOf(info), HasSubstr("declares the counter 'x' twice"));
}

TEST(FamilyRegistrationTest, EveryVariantHasAWorkload) {
  FamilyInfo info = Valid();
  info.variants.push_back({"c", VariantKind::reference, "no workload", nullptr});
  EXPECT_THAT(RefusalOf(info), HasSubstr("variant 'c' has no workload (make)"));
}

TEST(FamilyRegistrationTest, TheReportDrawsDeclaredCountersAndKnowsWhatAnOperationIs) {
  FamilyInfo info = Valid();
  info.report.figures.push_back({"evnets", "a typo"});
  EXPECT_THAT(RefusalOf(info), HasSubstr("draws the counter 'evnets', which is not one of its"));
  info = Valid();
  info.report.operation.clear();
  EXPECT_THAT(RefusalOf(info), HasSubstr("does not say what an operation is"));
}

enum Sample : int { kFirst, kSecond, kSamples };

TEST(FamilyRegistrationTest, NamesFollowTheirEnumerators) {
  EXPECT_THAT(names_by_index(kSamples, {{kFirst, "first"}, {kSecond, "second"}}),
              ElementsAre("first", "second"));
  try {
    names_by_index(kSamples, {{kSecond, "second"}, {kFirst, "first"}});
    FAIL() << "out of order";
  } catch (const std::logic_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("'second' is named at index 0, but its enumerator is 1"));
  }
  try {
    names_by_index(kSamples, {{kFirst, "first"}});
    FAIL() << "one short";
  } catch (const std::logic_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("1 names for 2 enumerators"));
  }
}

TEST(FamilyRegistrationTest, OverridesNameParameters) {
  FamilyInfo info = Valid();
  info.variants.push_back({"c", VariantKind::broken, "broken", NoWorkload, {{"m", 3}}});
  EXPECT_THAT(RefusalOf(info), HasSubstr("variant 'c' overrides 'm'"));
  info.variants.back().overrides = {{"n", 3}};
  EXPECT_EQ(RefusalOf(info), "accepted");
}

TEST(RolesFromRatioTest, ProducersAndConsumersBothPresent) {
  EXPECT_THAT(roles_from_ratio({1, 1}, 2), ElementsAre(0, 1));
  EXPECT_THAT(roles_from_ratio({1, 3}, 4), ElementsAre(0, 0, 0, 1));
  EXPECT_THAT(roles_from_ratio({0, 1}, 1), ElementsAre(0));
  EXPECT_THAT(roles_from_ratio({3, 1}, 2), ElementsAre(0, 1));
  try {
    roles_from_ratio({1, 1}, 1);
    FAIL() << "one thread cannot be a producer and a consumer";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("ratio of 1:1 needs a producer and a consumer"));
  }
}

}  // namespace
}  // namespace lockbench
