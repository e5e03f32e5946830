// The results file: Google Benchmark's JSON layout (context + benchmarks),
// with lockbench's fields added; docs/results-format.md describes it. The
// file is rewritten atomically after every point, so an interrupted sweep
// leaves a valid file holding every point that finished.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/sweep.h"
#include "harness/topology.h"

namespace lockbench {

inline constexpr int kSchemaVersion = 1;

// Writes content to path through a temporary file in the same directory and
// a rename, so readers see the old file or the new one, never half of one.
void write_file_atomically(const std::string& path, const std::string& content);

// schema version, architecture, CPU model, topology, relax instruction, cache
// line, compiler and flags, git revision, the config.
nlohmann::json lockbench_context(const Sweep& sweep, const Topology& topology);

class ResultsFile {
 public:
  ResultsFile(std::string path, nlohmann::json context);
  void append(const std::vector<nlohmann::json>& entries);
  const nlohmann::json& document() const { return document_; }

 private:
  void flush() const;
  std::string path_;
  nlohmann::json document_;
};

}  // namespace lockbench
