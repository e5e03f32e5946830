#include "harness/sweep/stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

namespace lockbench {

namespace {

// P(X <= j) for X ~ Binomial(n, 1/2), summed from exact log-probabilities
// (lgamma), accurate to rounding for the n of a benchmark's repetitions.
double binomial_half_cdf(std::size_t n, std::size_t j) {
  const double nd = static_cast<double>(n);
  double sum = 0;
  for (std::size_t i = 0; i <= j && i <= n; ++i) {
    const double id = static_cast<double>(i);
    sum += std::exp(std::lgamma(nd + 1) - std::lgamma(id + 1) - std::lgamma(nd - id + 1) -
                    nd * std::log(2.0));
  }
  return sum;
}

double median_of_sorted(const std::vector<double>& s) {
  const std::size_t n = s.size();
  return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", v);
  return text;
}

}  // namespace

std::optional<double> RepetitionStats::relative_half_width() const {
  if (!ci95) return std::nullopt;
  const double half = (ci95->high - ci95->low) / 2;
  if (median == 0) return half == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return half / std::abs(median);
}

std::optional<Interval> median_interval(const std::vector<double>& sorted, double confidence) {
  const std::size_t n = sorted.size();
  std::optional<Interval> best;
  // k-th smallest to k-th largest: the true median lies outside when k or
  // fewer values fall below it or k or fewer above, each with probability
  // P(X <= k - 1).
  for (std::size_t k = 1; 2 * k <= n + 1; ++k) {
    const double coverage = 1 - 2 * binomial_half_cdf(n, k - 1);
    if (coverage < confidence) break;
    best = Interval{sorted[k - 1], sorted[n - k], coverage};
  }
  return best;
}

std::optional<ModeSplit> mode_split(const std::vector<double>& sorted, double material) {
  const std::size_t n = sorted.size();
  if (n < 4) return std::nullopt;
  const double threshold = material * std::abs(median_of_sorted(sorted));
  std::optional<ModeSplit> split;
  double widest = 0;
  for (std::size_t i = 1; i + 2 < n; ++i) {  // lower: sorted[0..i], upper: sorted[i+1..n-1]
    const double gap = sorted[i + 1] - sorted[i];
    const double ranges = std::max(sorted[i] - sorted[0], sorted[n - 1] - sorted[i + 1]);
    if (gap > ranges && gap > threshold && gap > widest) {
      widest = gap;
      const std::vector<double> lower(sorted.begin(), sorted.begin() + static_cast<long>(i) + 1);
      const std::vector<double> upper(sorted.begin() + static_cast<long>(i) + 1, sorted.end());
      split = ModeSplit{i + 1, median_of_sorted(lower), median_of_sorted(upper)};
    }
  }
  return split;
}

RepetitionStats summarize(std::vector<double> values) {
  RepetitionStats s;
  s.n = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.median = median_of_sorted(values);
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(s.n);
  if (s.n > 1 && mean != 0) {
    double squares = 0;
    for (double v : values) squares += (v - mean) * (v - mean);
    s.cv = std::sqrt(squares / static_cast<double>(s.n - 1)) / std::abs(mean);
  }
  s.ci95 = median_interval(values, 0.95);
  return s;
}

Stability judge(const std::vector<double>& values, double target) {
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  // A gap that an interval within the target could not span.
  if (const auto split = mode_split(sorted, 2 * target)) {
    return {false, "bimodal: " + std::to_string(split->lower) + " of " +
                       std::to_string(sorted.size()) + " repetitions near " +
                       number(split->lower_median) + ", " +
                       std::to_string(sorted.size() - split->lower) + " near " +
                       number(split->upper_median)};
  }
  const RepetitionStats s = summarize(values);
  const std::optional<double> half = s.relative_half_width();
  if (!half) {
    return {false,
            std::to_string(s.n) + (s.n == 1 ? " repetition gives" : " repetitions give") +
                " no 95% interval (6 needed)",
            true};
  }
  if (*half > target) {
    return {false, "interval ±" + number(100 * *half) + "% after " + std::to_string(s.n) +
                       " repetitions (target ±" + number(100 * target) + "%)"};
  }
  return {true, "stable"};
}

}  // namespace lockbench
