#pragma once

#include "harness/runner/family.h"

namespace lockbench::evtchn {

const Family& family();

}  // namespace lockbench::evtchn
