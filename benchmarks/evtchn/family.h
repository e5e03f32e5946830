#pragma once

#include "harness/family.h"

namespace lockbench::evtchn {

const Family& family();

}  // namespace lockbench::evtchn
