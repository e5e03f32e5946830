#include "harness/measure/histogram.h"

#include <algorithm>
#include <cmath>

namespace lockbench {

int Histogram::bucket_of(std::uint64_t value) {
  if (value < kSubBuckets) return static_cast<int>(value);
  const int msb = 63 - __builtin_clzll(value);
  const int shift = msb - kSubBits;
  const int sub = static_cast<int>((value >> shift) & (kSubBuckets - 1));
  return (shift + 1) * kSubBuckets + sub;
}

std::uint64_t Histogram::bucket_upper(int bucket) {
  if (bucket < kSubBuckets) return static_cast<std::uint64_t>(bucket);
  const int shift = bucket / kSubBuckets - 1;
  const std::uint64_t sub = static_cast<std::uint64_t>(bucket % kSubBuckets);
  const std::uint64_t low = (kSubBuckets + sub) << shift;
  return low + ((std::uint64_t{1} << shift) - 1);
}

void Histogram::record(std::uint64_t value_ns, std::uint64_t weight) {
  counts_[static_cast<std::size_t>(bucket_of(value_ns))] += weight;
  ++count_;
  weight_ += weight;
  max_ = std::max(max_, value_ns);
  sum_ += static_cast<long double>(value_ns) * weight;
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  weight_ += other.weight_;
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double Histogram::mean() const {
  return weight_ == 0 ? 0.0 : static_cast<double>(sum_ / weight_);
}

std::uint64_t Histogram::percentile(double q) const {
  if (weight_ == 0) return 0;
  if (q >= 1.0) return max_;
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(weight_)));
  std::uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[static_cast<std::size_t>(b)];
    if (seen >= std::max<std::uint64_t>(rank, 1)) return std::min(bucket_upper(b), max_);
  }
  return max_;
}

}  // namespace lockbench
