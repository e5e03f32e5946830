#include "harness/sweep/schedule.h"

#include <algorithm>
#include <map>
#include <string>

#include "harness/sweep/stats.h"

namespace lockbench {

std::vector<std::vector<std::size_t>> variant_groups(const Sweep& sweep) {
  std::vector<std::vector<std::size_t>> groups;
  std::map<std::string, std::size_t> group_of;
  for (std::size_t i = 0; i < sweep.points.size(); ++i) {
    const Point& p = sweep.points[i];
    const std::string key = p.family->name() + "\n" + p.params.dump() + "\n" +
                            p.placement.to_string() + "\n" + std::to_string(p.threads);
    const auto [it, added] = group_of.emplace(key, groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  return groups;
}

std::vector<double> throughputs(const std::vector<RunResult>& runs) {
  std::vector<double> out;
  for (const RunResult& r : runs) {
    if (r.valid && r.seconds > 0) out.push_back(static_cast<double>(r.ops) / r.seconds);
  }
  return out;
}

bool needs_repetition(const RunSettings& settings, const std::vector<RunResult>& runs) {
  if (!runs.empty() && !runs.back().valid) return false;
  const int done = static_cast<int>(runs.size());
  if (!settings.adaptive) return done < settings.repetitions;
  if (done < RunSettings::kMinAdaptiveRepetitions) return true;
  if (done >= settings.max_repetitions) return false;
  return !judge(throughputs(runs), settings.target_ci).stable;
}

void run_group(const std::vector<std::size_t>& group, const RunSettings& settings,
               std::vector<PointLog>& logs, const std::function<RunResult(std::size_t)>& measure,
               const std::function<bool()>& interrupted, std::mt19937_64& rng) {
  for (;;) {
    std::vector<std::size_t> round;
    for (std::size_t i : group) {
      if (needs_repetition(settings, logs[i].runs)) round.push_back(i);
    }
    if (round.empty()) return;
    std::shuffle(round.begin(), round.end(), rng);
    for (std::size_t i : round) {
      RunResult run = interrupted() ? RunResult::failed("interrupted") : measure(i);
      if (interrupted()) {
        // The run the signal cut short is no measurement, and its point, as
        // every other still short of repetitions, is not recorded.
        logs[i].interrupted = true;
        for (std::size_t j : group) {
          logs[j].interrupted = logs[j].interrupted || needs_repetition(settings, logs[j].runs);
        }
        return;
      }
      logs[i].runs.push_back(std::move(run));
    }
  }
}

}  // namespace lockbench
