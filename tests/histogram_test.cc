// Histogram: bucket layout, percentiles on known data, merging, weights.
#include "harness/measure/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>


namespace lockbench {
namespace {

// Every bucket is within 1/2^kSubBits of the values it holds.
constexpr double kRelativeError = 1.0 / Histogram::kSubBuckets;

TEST(HistogramTest, EmptyHistogramReportsZero) {
  const Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.percentile(0.5), 0u);
  EXPECT_EQ(h.percentile(0.99), 0u);
  EXPECT_EQ(h.percentile(1.0), 0u);
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v : {3, 1, 4, 1, 5, 9, 2, 6}) h.record(v);
  EXPECT_EQ(h.count(), 8u);
  EXPECT_EQ(h.max(), 9u);
  EXPECT_DOUBLE_EQ(h.mean(), 31.0 / 8);
  // Sorted: 1 1 2 3 4 5 6 9.
  EXPECT_EQ(h.percentile(0.125), 1u);
  EXPECT_EQ(h.percentile(0.25), 1u);
  EXPECT_EQ(h.percentile(0.5), 3u);
  EXPECT_EQ(h.percentile(0.75), 5u);
  EXPECT_EQ(h.percentile(0.875), 6u);
  EXPECT_EQ(h.percentile(1.0), 9u);
  for (std::uint64_t v = 0; v < Histogram::kSubBuckets; ++v) {
    EXPECT_EQ(Histogram::bucket_upper(Histogram::bucket_of(v)), v);
  }
}

TEST(HistogramTest, SingleValue) {
  Histogram h;
  h.record(123456);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.max(), 123456u);
  // Percentiles never exceed the exact maximum.
  EXPECT_EQ(h.percentile(0.5), 123456u);
  EXPECT_EQ(h.percentile(0.001), 123456u);
  EXPECT_DOUBLE_EQ(h.mean(), 123456.0);
}

TEST(HistogramTest, PercentilesOfOneToThousand) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 1000; ++v) h.record(v);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.max(), 1000u);
  EXPECT_DOUBLE_EQ(h.mean(), 500.5);
  EXPECT_EQ(h.percentile(1.0), 1000u);
  const struct {
    double q;
    double exact;
  } cases[] = {{0.01, 10}, {0.1, 100}, {0.5, 500}, {0.9, 900}, {0.99, 990}, {0.999, 999}};
  for (const auto& c : cases) {
    const auto p = static_cast<double>(h.percentile(c.q));
    // Reported as the bucket's upper bound: never below, at most one bucket above.
    EXPECT_GE(p, c.exact) << "q " << c.q;
    EXPECT_LE(p, c.exact * (1 + kRelativeError)) << "q " << c.q;
  }
}

TEST(HistogramTest, PercentilesAreMonotonic) {
  Histogram h;
  std::uint64_t v = 1;
  for (int i = 0; i < 5000; ++i) {
    v = v * 6364136223846793005ULL + 1442695040888963407ULL;
    h.record(v >> 40);
  }
  std::uint64_t last = 0;
  for (double q = 0.01; q <= 1.0; q += 0.01) {
    const std::uint64_t p = h.percentile(q);
    EXPECT_GE(p, last) << "q " << q;
    EXPECT_LE(p, h.max());
    last = p;
  }
}

TEST(HistogramTest, MergeAddsCounts) {
  Histogram a, b, both;
  for (std::uint64_t v = 1; v <= 500; ++v) {
    a.record(v);
    both.record(v);
  }
  for (std::uint64_t v = 501; v <= 1000; ++v) {
    b.record(v * 3);
    both.record(v * 3);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), 1000u);
  EXPECT_EQ(a.max(), 3000u);
  EXPECT_DOUBLE_EQ(a.mean(), both.mean());
  for (double q : {0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0}) {
    EXPECT_EQ(a.percentile(q), both.percentile(q)) << "q " << q;
  }
  Histogram empty;
  a.merge(empty);
  EXPECT_EQ(a.count(), 1000u);
  empty.merge(b);
  EXPECT_EQ(empty.count(), 500u);
  EXPECT_EQ(empty.max(), 3000u);
}

// A starved thread's 10 slow operations, each timed, and a busy thread's
// 6400 fast ones, one in 64 timed: unweighted, the slow tenth of the samples
// would be p99; weighted by the operations they stand for, they are 1.5%.
TEST(HistogramTest, WeightedSamplesCountAsTheOperationsTheyStandFor) {
  Histogram starved, busy;
  for (int i = 0; i < 10; ++i) starved.record(1000);
  for (int i = 0; i < 100; ++i) busy.record(10, 64);
  Histogram merged;
  merged.merge(starved);
  merged.merge(busy);
  EXPECT_EQ(merged.count(), 110u);
  EXPECT_EQ(merged.weight(), 6410u);
  EXPECT_EQ(merged.percentile(0.5), 10u);
  EXPECT_EQ(merged.percentile(0.99), 10u);
  EXPECT_GE(merged.percentile(0.999), 1000u * (1 - kRelativeError));
  EXPECT_NEAR(merged.mean(), (10 * 1000.0 + 6400 * 10.0) / 6410, 1e-9);
}

TEST(HistogramTest, BucketOfAndUpperAgree) {
  std::vector<std::uint64_t> values;
  for (std::uint64_t v = 0; v < 100000; ++v) values.push_back(v);
  for (int bit = 17; bit < 64; ++bit) {
    const std::uint64_t p = std::uint64_t{1} << bit;
    for (std::uint64_t v : {p - 1, p, p + 1, p + p / 3, p + p / 2}) values.push_back(v);
  }
  values.push_back(std::numeric_limits<std::uint64_t>::max());
  for (std::uint64_t v : values) {
    const int b = Histogram::bucket_of(v);
    ASSERT_GE(b, 0) << v;
    ASSERT_LT(b, Histogram::kBuckets) << v;
    const std::uint64_t upper = Histogram::bucket_upper(b);
    ASSERT_LE(v, upper) << v;
    ASSERT_LE(static_cast<double>(upper - v), static_cast<double>(v) * kRelativeError) << v;
    // The previous bucket ends below v, so buckets do not overlap.
    if (b > 0) {
      ASSERT_LT(Histogram::bucket_upper(b - 1), v) << v;
    }
  }
}

TEST(HistogramTest, BucketsAreContiguousAndIncreasing) {
  for (int b = 1; b < Histogram::kBuckets; ++b) {
    const std::uint64_t prev = Histogram::bucket_upper(b - 1);
    ASSERT_LT(prev, Histogram::bucket_upper(b)) << b;
    // The value just past a bucket opens the next one.
    ASSERT_EQ(Histogram::bucket_of(prev + 1), b) << b;
  }
  EXPECT_EQ(Histogram::bucket_upper(Histogram::kBuckets - 1),
            std::numeric_limits<std::uint64_t>::max());
}

TEST(HistogramTest, HugeValues) {
  Histogram h;
  h.record(std::numeric_limits<std::uint64_t>::max());
  h.record(1);
  EXPECT_EQ(h.max(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(h.percentile(0.5), 1u);
  EXPECT_EQ(h.percentile(1.0), std::numeric_limits<std::uint64_t>::max());
}

}  // namespace
}  // namespace lockbench
