// The registry of families: adding one means adding it here.
#include "benchmarks/evtchn/family.h"
#include "benchmarks/maptrack/family.h"
#include "benchmarks/spinlock/family.h"
#include "benchmarks/tasklet/family.h"
#include "harness/family.h"

namespace lockbench {

const std::vector<const Family*>& all_families() {
  static const std::vector<const Family*> families = {&spinlock::family(), &tasklet::family(),
                                                      &maptrack::family(), &evtchn::family()};
  return families;
}

const Family* find_family(const std::string& name) {
  for (const Family* family : all_families()) {
    if (family->name() == name) return family;
  }
  return nullptr;
}

}  // namespace lockbench
