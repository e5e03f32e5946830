#include "harness/driver/results.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include "harness/runner/platform.h"

#ifndef LOCKBENCH_GIT_REVISION
#define LOCKBENCH_GIT_REVISION "unknown"
#endif
#ifndef LOCKBENCH_CXX_FLAGS
#define LOCKBENCH_CXX_FLAGS ""
#endif

namespace lockbench {

namespace {

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write '" + tmp + "': " + strerror(errno));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = strerror(errno);
      close(fd);
      unlink(tmp.c_str());
      throw std::runtime_error("cannot write '" + tmp + "': " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  // fsync before rename: after a crash the name points at complete data.
  fsync(fd);
  close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = strerror(errno);
    unlink(tmp.c_str());
    throw std::runtime_error("cannot rename '" + tmp + "' to '" + path + "': " + why);
  }
}

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
  for (const Point& p : sweep.points) families[p.family->name()] = describe(p.family->info());
  return {{"schema_version", kSchemaVersion},
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
          {"perf_counters", "not collected"},
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
  std::set<std::string> complete;
  for (const Point& p : sweep.points) {
    const auto it = repetitions.find(p.name());
    if (it != repetitions.end() && it->second >= needed) {
      complete.insert(p.name());
      kept.done.push_back(p.name());
    }
  }
  for (const nlohmann::json& e : doc["benchmarks"]) {
    if (complete.count(e.value("run_name", ""))) kept.entries.push_back(e);
  }
  return kept;
}

namespace {

// Temporaries of earlier writes to path whose process is gone (killed
// between writing and renaming): removed, so nothing half-written stays.
void remove_stale_temporaries(const std::string& path) {
  const std::filesystem::path target(path);
  const std::filesystem::path dir =
      target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  const std::string prefix = target.filename().string() + ".tmp.";
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove(entry.path(), error);
  }
}

}  // namespace

ResultsFile::ResultsFile(std::string path, nlohmann::json context,
                         std::vector<nlohmann::json> entries)
    : path_(std::move(path)),
      document_({{"context", std::move(context)}, {"benchmarks", std::move(entries)}}) {
  remove_stale_temporaries(path_);
  flush();
}

void ResultsFile::append(const std::vector<nlohmann::json>& entries) {
  for (const nlohmann::json& e : entries) document_["benchmarks"].push_back(e);
  flush();
}

void ResultsFile::flush() const { write_file_atomically(path_, document_.dump(2) + "\n"); }

}  // namespace lockbench
