// The results file: Google Benchmark's JSON layout (context + benchmarks),
// with lockbench's fields added; docs/results-format.md describes it. The
// file is rewritten atomically after every point, so an interrupted sweep
// leaves a valid file holding every point that finished.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/driver/sweep.h"
#include "harness/runner/topology.h"

namespace lockbench {

inline constexpr int kSchemaVersion = 2;

// Writes content to path through a temporary file in the same directory and
// a rename, so readers see the old file or the new one, never half of one.
void write_file_atomically(const std::string& path, const std::string& content);

// schema version, architecture, CPU model, topology, relax instruction, cache
// line, compiler and flags, git revision, the config.
nlohmann::json lockbench_context(const Sweep& sweep, const Topology& topology);

// What --resume keeps of an earlier results file: the entries of the points
// it measured completely (every repetition, valid or failed), which the sweep
// then leaves out. Throws UsageError, naming the file and why, when the file
// is not a lockbench results file or was measured with another config or
// other settings.
struct Resumed {
  std::vector<nlohmann::json> entries;
  std::vector<std::string> done;  // point names
};
Resumed resume_from(const std::string& path, const Sweep& sweep);

class ResultsFile {
 public:
  // entries: those the file starts with (points kept from an earlier run).
  ResultsFile(std::string path, nlohmann::json context, std::vector<nlohmann::json> entries = {});
  void append(const std::vector<nlohmann::json>& entries);
  const nlohmann::json& document() const { return document_; }

 private:
  void flush() const;
  std::string path_;
  nlohmann::json document_;
};

}  // namespace lockbench
