#pragma once

#include "harness/measure/family.h"

namespace lockbench::maptrack {

const Family& family();

}  // namespace lockbench::maptrack
