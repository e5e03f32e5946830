#include "harness/sweep/results.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include "harness/measure/checks.h"
#include "harness/measure/platform.h"
#include "harness/measure/sched_policy.h"

#ifndef LOCKBENCH_GIT_REVISION
#define LOCKBENCH_GIT_REVISION "unknown"
#endif
#ifndef LOCKBENCH_CXX_FLAGS
#define LOCKBENCH_CXX_FLAGS ""
#endif

namespace lockbench {

namespace {

nlohmann::json settings_json(const RunSettings& settings) {
  return {{"duration_ms", settings.duration_ms},   {"warmup_ms", settings.warmup_ms},
          {"repetitions", settings.repetitions_json()},
          {"target_ci_pct", 100 * settings.target_ci},
          {"max_repetitions", settings.max_repetitions},
          {"watchdog_s", settings.watchdog_s},
          {"drain_limit_s", settings.drain_limit_s}, {"sample_every", settings.sample_every},
          {"overflow", to_string(settings.overflow)}};
}

}  // namespace

nlohmann::json lockbench_context(const Sweep& sweep, const Topology& topology) {
  // What the report needs to tell each family's story, from the families.
  nlohmann::json families = nlohmann::json::object();
  for (const Point& p : sweep.points) families[p.family->name()] = family_json(p.family->info());
  // Said by whoever runs lockbench in an emulator (scripts/test-vm's guests):
  // their timings are no measurement, and the report says so.
  const char* emulated = std::getenv("LOCKBENCH_EMULATED");
  // Automatic NUMA balancing moves pages towards the threads touching them,
  // behind a point's home: said, so a reader knows whether it could.
  std::ifstream balancing_file("/proc/sys/kernel/numa_balancing");
  std::string balancing = "unknown";
  balancing_file >> balancing;
  return {{"schema_version", kSchemaVersion},
          {"emulated", emulated && *emulated ? nlohmann::json(emulated) : nlohmann::json(false)},
          {"numa_balancing", balancing},
          {"rt_throttling", rt_throttling()},
          {"checks", kChecks ? "on" : "off"},
          {"families", families},
          {"arch", kArchitecture},
          {"cpu_model", topology.cpu_model()},
          {"topology", topology.describe()},
          {"relax_instruction", kRelaxInstruction},
          {"atomics", kAtomics},
          {"cache_line", {{"hwloc", topology.cache_line_size()}, {"padding", kCacheLine}}},
          {"compiler", __VERSION__},
          {"compiler_flags", LOCKBENCH_CXX_FLAGS},
          {"git_revision", LOCKBENCH_GIT_REVISION},
          {"perf_counters", "per repetition: hardware, where the kernel allows"},
          {"settings", settings_json(sweep.settings)},
          {"config", sweep.config}};
}

Resumed resume_from(const std::string& path, const Sweep& sweep) {
  std::ifstream in(path);
  if (!in) throw UsageError("--resume " + path + ": cannot be read");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw UsageError("--resume " + path + ": not valid JSON (" + e.what() + ")");
  }
  const nlohmann::json* lockbench = doc.contains("context") ? &doc["context"] : nullptr;
  if (!lockbench || !lockbench->contains("lockbench") || !doc.contains("benchmarks") ||
      !doc["benchmarks"].is_array()) {
    throw UsageError("--resume " + path + ": not a lockbench results file");
  }
  const nlohmann::json& earlier = (*lockbench)["lockbench"];
  const nlohmann::json now = {{"schema_version", kSchemaVersion},
                              {"config", sweep.config},
                              {"settings", settings_json(sweep.settings)}};
  for (const auto& [key, value] : now.items()) {
    if (earlier.value(key, nlohmann::json()) != value) {
      throw UsageError("--resume " + path + ": measured with another " + key +
                       "; allowed: the same config and settings as the run that wrote it");
    }
  }
  // A point's entries are written once its repetitions are done, so one
  // with as many valid repetitions as it needs at least is complete; a
  // failed one is measured again.
  std::map<std::string, int> repetitions;
  for (const nlohmann::json& e : doc["benchmarks"]) {
    if (e.value("run_type", "") != "iteration") continue;
    int& count = repetitions[e.value("run_name", "")];
    count = e.value("valid", false) && count >= 0 ? count + 1 : -1;
  }
  const int needed = sweep.settings.adaptive ? RunSettings::kMinAdaptiveRepetitions
                                             : sweep.settings.repetitions;
  Resumed kept;
  std::set<std::string> measured_again;
  for (const Point& p : sweep.points) {
    const auto it = repetitions.find(p.name());
    if (it != repetitions.end() && it->second >= needed) {
      kept.done.push_back(p.name());
    } else {
      measured_again.insert(p.name());
    }
  }
  for (const nlohmann::json& e : doc["benchmarks"]) {
    if (!measured_again.count(e.value("run_name", ""))) kept.entries.push_back(e);
  }
  return kept;
}

ResultsFile::ResultsFile(ResultsTarget target, nlohmann::json context,
                         std::vector<nlohmann::json> entries)
    : target_(std::move(target)),
      document_({{"context", std::move(context)}, {"benchmarks", std::move(entries)}}) {
  flush();
}

void ResultsFile::append(const std::vector<nlohmann::json>& entries) {
  for (const nlohmann::json& e : entries) document_["benchmarks"].push_back(e);
  flush();
}

void ResultsFile::flush() { target_.write(document_.dump(2) + "\n"); }

}  // namespace lockbench
