// The lockbench command line: list, topology, calibrate, plan, run (the
// command table in cli.cc), each with --help.
#pragma once

#include <string>
#include <vector>

namespace lockbench {

// Returns the exit status (exit_status.h).
int cli_main(const std::vector<std::string>& args);

}  // namespace lockbench
