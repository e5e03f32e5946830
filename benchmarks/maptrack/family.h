#pragma once

#include "harness/family.h"

namespace lockbench::maptrack {

const Family& family();

}  // namespace lockbench::maptrack
