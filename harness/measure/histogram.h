// Log-bucket latency histogram (HdrHistogram's layout, simplified): values
// below 2^kSubBits ns are exact; above, each power of two is split into
// 2^kSubBits linear sub-buckets, so every bucket is within 1/2^kSubBits
// (about 3%) of the value it holds. Fixed size, no allocation while recording,
// and histograms merge by adding counts. Each sample carries a weight, the
// operations it stands for, so percentiles describe operations even when
// threads sample at different rates.
#pragma once

#include <array>
#include <cstdint>

namespace lockbench {

class Histogram {
 public:
  static constexpr int kSubBits = 5;
  static constexpr int kSubBuckets = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits + 1) * kSubBuckets;

  void record(std::uint64_t value_ns, std::uint64_t weight = 1);
  void merge(const Histogram& other);

  std::uint64_t count() const { return count_; }     // samples recorded
  std::uint64_t weight() const { return weight_; }   // operations they stand for
  std::uint64_t max() const { return max_; }
  double mean() const;
  // The smallest recorded bucket value v such that at least q (0..1] of the
  // samples' weight is <= v; the exact maximum for q == 1; 0 when empty.
  std::uint64_t percentile(double q) const;

  static int bucket_of(std::uint64_t value);
  // The largest value that falls in the bucket (what percentiles report, so
  // they never understate a latency).
  static std::uint64_t bucket_upper(int bucket);

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t weight_ = 0;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace lockbench
