#include "harness/sweep/exit_status.h"

#include "harness/sweep/sweep.h"

namespace lockbench {

int exit_status_of(const std::exception& e) {
  return dynamic_cast<const UsageError*>(&e) ? kBadUsage : kRuntimeFailure;
}

}  // namespace lockbench
