#pragma once

#include "harness/runner/family.h"

namespace lockbench::maptrack {

const Family& family();

}  // namespace lockbench::maptrack
