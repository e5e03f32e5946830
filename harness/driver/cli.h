// The lockbench command line: list, topology, plan, run.
#pragma once

#include <string>
#include <vector>

namespace lockbench {

// Returns the exit status: 0 success, 1 a point failed, 2 bad usage or config.
int cli_main(const std::vector<std::string>& args);

}  // namespace lockbench
