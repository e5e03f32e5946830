// The registry of families: every family lockbench has, in the order they
// are listed (defined in benchmarks/families.cc, from the list in
// benchmarks/CMakeLists.txt). The layer above the families (harness/sweep/)
// finds them here; the interface each one implements is
// harness/measure/family.h.
#pragma once

#include <string>
#include <vector>

#include "harness/measure/family.h"

namespace lockbench {

const std::vector<const Family*>& all_families();
const Family* find_family(const std::string& name);

}  // namespace lockbench
