// What the repetitions of a point say about it: the median, a 95%
// confidence interval of the median, the coefficient of variation, and
// whether the point is stable enough to be read as one number.
//
// The interval comes from order statistics (distribution-free: the number of
// repetitions below the true median is Binomial(n, 1/2)), so it makes no
// assumption about the shape of a benchmark's noise, which on a shared host
// is often skewed or bimodal. It needs 6 repetitions: with 5, even
// [min, max] covers the median with probability 1 - 2/32 < 95%.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace lockbench {

// The fewest repetitions whose [min, max] covers the median with 95%.
inline constexpr int kRepetitionsForInterval = 6;

struct Interval {
  double low;
  double high;
  double coverage;  // the exact probability that it holds the true median
};

// Summary of one point's repetitions (of ops_per_sec, or any figure).
struct RepetitionStats {
  std::size_t n = 0;
  double median = 0;
  double cv = 0;                  // sample standard deviation / mean; 0 when the mean is 0
  std::optional<Interval> ci95;   // none below 6 repetitions
  // Half the interval's width over the median; none without an interval.
  std::optional<double> relative_half_width() const;
};

RepetitionStats summarize(std::vector<double> values);

// The smallest interval [x_(k), x_(n+1-k)] of the sorted values whose
// coverage of the median is at least `confidence`; none when even
// [min, max] covers less.
std::optional<Interval> median_interval(const std::vector<double>& sorted, double confidence);

// Two separate modes: the widest gap between consecutive sorted values,
// with at least two values on each side, that is wider than either side's
// own range and than `material` times the median. A host that moves a VM
// between fast and slow states gives such a split; averaging across it
// describes neither state.
struct ModeSplit {
  std::size_t lower;  // values in the lower mode
  double lower_median;
  double upper_median;
};
std::optional<ModeSplit> mode_split(const std::vector<double>& sorted, double material);

// Whether a point's repetitions support reading its median: "stable", or a
// short reason. target: the interval's half-width asked for, as a fraction
// of the median (0.05: within 5%).
struct Stability {
  bool stable;
  std::string text;
  bool too_few = false;  // unjudged: fewer repetitions than an interval needs
};
Stability judge(const std::vector<double>& values, double target);

}  // namespace lockbench
