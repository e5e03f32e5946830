// The registry of families, from the list in benchmarks/CMakeLists.txt.
#include "benchmarks/families.h"

#include "registry.h"

namespace lockbench {

const std::vector<const Family*>& all_families() {
  static const std::vector<const Family*> families = {LOCKBENCH_FAMILY_LIST};
  return families;
}

const Family* find_family(const std::string& name) {
  for (const Family* family : all_families()) {
    if (family->name() == name) return family;
  }
  return nullptr;
}

}  // namespace lockbench
