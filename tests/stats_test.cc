// The interval and stability decisions on samples with known answers.
// Coverages are exact binomial sums (1 - 2 P(X <= k-1), X ~ Bin(n, 1/2)),
// as scipy.stats.binom.cdf gives them.
#include "harness/sweep/stats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lockbench {
namespace {

using ::testing::HasSubstr;

TEST(MedianIntervalTest, NeedsSixRepetitions) {
  EXPECT_FALSE(median_interval({1, 2, 3, 4, 5}, 0.95));
  const auto six = median_interval({1, 2, 3, 4, 5, 6}, 0.95);
  ASSERT_TRUE(six);
  EXPECT_EQ(six->low, 1);
  EXPECT_EQ(six->high, 6);
  EXPECT_DOUBLE_EQ(six->coverage, 1 - 2.0 / 64);
}

TEST(MedianIntervalTest, DropsExtremesAsRepetitionsGrow) {
  const auto nine = median_interval({1, 2, 3, 4, 5, 6, 7, 8, 9}, 0.95);
  ASSERT_TRUE(nine);
  EXPECT_EQ(nine->low, 2);
  EXPECT_EQ(nine->high, 8);
  EXPECT_NEAR(nine->coverage, 1 - 2 * 10.0 / 512, 1e-12);
  const auto ten = median_interval({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.95);
  ASSERT_TRUE(ten);
  EXPECT_EQ(ten->low, 2);
  EXPECT_EQ(ten->high, 9);
  EXPECT_NEAR(ten->coverage, 1 - 2 * 11.0 / 1024, 1e-12);
}

TEST(SummarizeTest, MedianCvAndHalfWidth) {
  const RepetitionStats s = summarize({100, 102, 98, 101, 99, 100});
  EXPECT_EQ(s.n, 6u);
  EXPECT_DOUBLE_EQ(s.median, 100);
  EXPECT_NEAR(s.cv, 0.014142, 1e-5);  // sample stddev sqrt(2) over mean 100
  ASSERT_TRUE(s.relative_half_width());
  EXPECT_DOUBLE_EQ(*s.relative_half_width(), 0.02);  // [98, 102]
}

TEST(StabilityTest, ATightSampleIsStable) {
  const Stability s = judge({100, 102, 98, 101, 99, 100}, 0.05);
  EXPECT_TRUE(s.stable);
  EXPECT_EQ(s.text, "stable");
}

TEST(StabilityTest, ABimodalSampleIsFlagged) {
  const Stability s = judge({100, 131, 101, 130, 102, 132, 99, 129}, 0.05);
  EXPECT_FALSE(s.stable);
  EXPECT_THAT(s.text, HasSubstr("bimodal: 4 of 8 repetitions near 100"));
  EXPECT_THAT(s.text, HasSubstr("4 near 130"));
}

TEST(StabilityTest, AnEvenSpreadIsWideNotBimodal) {
  const Stability s = judge({100, 110, 120, 130, 140, 150}, 0.05);
  EXPECT_FALSE(s.stable);
  EXPECT_THAT(s.text, HasSubstr("interval ±20% after 6 repetitions (target ±5%)"));
}

TEST(StabilityTest, TooFewRepetitionsSaySo) {
  EXPECT_EQ(judge({100, 101, 102}, 0.05).text, "3 repetitions give no 95% interval (6 needed)");
  EXPECT_EQ(judge({100}, 0.05).text, "1 repetition gives no 95% interval (6 needed)");
  EXPECT_TRUE(judge({100}, 0.05).too_few);
  EXPECT_FALSE(judge({100, 110, 120, 130, 140, 150}, 0.05).too_few);
}

TEST(StabilityTest, ACollapsedPointOfZerosIsStable) {
  EXPECT_TRUE(judge({0, 0, 0, 0, 0, 0}, 0.05).stable);
}

}  // namespace
}  // namespace lockbench
