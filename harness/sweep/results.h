// The results file: Google Benchmark's JSON layout (context + benchmarks),
// with lockbench's fields added; docs/results-format.md describes it. The
// file is rewritten atomically after every point, so an interrupted sweep
// leaves a valid file holding every point that finished.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/measure/topology.h"
#include "harness/sweep/results_target.h"
#include "harness/sweep/sweep.h"

namespace lockbench {

inline constexpr int kSchemaVersion = 2;

// schema version, architecture, CPU model, topology, relax instruction, cache
// line, compiler and flags, git revision, the config.
nlohmann::json lockbench_context(const Sweep& sweep, const Topology& topology);

// What --resume keeps of an earlier results file: every entry, except those
// of the sweep's points that it did not measure completely (a failed point,
// or one stopped before its last repetition), which the sweep measures again.
// A point of the file that the sweep's selection leaves out is kept as it
// is: resuming never drops a measured point. Throws UsageError, naming the
// file and why, when the file is not a lockbench results file or was
// measured with another config or other settings.
struct Resumed {
  std::vector<nlohmann::json> entries;
  std::vector<std::string> done;  // the sweep's points it measured completely
};
Resumed resume_from(const std::string& path, const Sweep& sweep);

class ResultsFile {
 public:
  // entries: those the file starts with (points kept from an earlier run).
  ResultsFile(ResultsTarget target, nlohmann::json context,
              std::vector<nlohmann::json> entries = {});
  void append(const std::vector<nlohmann::json>& entries);
  const nlohmann::json& document() const { return document_; }

 private:
  void flush();
  ResultsTarget target_;
  nlohmann::json document_;
};

}  // namespace lockbench
