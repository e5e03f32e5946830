// The `lock` parameter of a family whose global variant models Xen before
// 4.6 (maptrack, evtchn): which spinlock_t that variant takes, XenByteLock
// as Xen had then (the default) or TicketLock as from 4.6 on, so that a
// user can tell the lock's part from the design's.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness/measure/family.h"

namespace lockbench {

// scope: what the parameter covers, said in its help.
inline ParamInfo xen_lock_param(const std::string& scope) {
  return {.name = "lock",
          .kind = ParamInfo::Kind::choice,
          .default_value = "byte",
          .choices = {"byte", "ticket"},
          .help = scope +
                  ": byte (Xen before 4.6, test-and-set on a 16-bit word) or ticket "
                  "(4.6 on)"};
}

// The MakeWorkload of a variant built with either lock, as `lock` says.
template <auto make_with_byte_lock, auto make_with_ticket_lock>
std::unique_ptr<Workload> by_xen_lock(const Params& params, const std::vector<int>& roles) {
  return params.at("lock").get<std::string>() == "ticket" ? make_with_ticket_lock(params, roles)
                                                          : make_with_byte_lock(params, roles);
}

}  // namespace lockbench
