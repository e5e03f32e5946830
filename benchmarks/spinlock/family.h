#pragma once

#include "harness/runner/family.h"

namespace lockbench::spinlock {

const Family& family();

}  // namespace lockbench::spinlock
