#pragma once

#include "harness/measure/family.h"

namespace lockbench::evtchn {

const Family& family();

}  // namespace lockbench::evtchn
