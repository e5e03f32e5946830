#pragma once

#include "harness/measure/family.h"

namespace lockbench::spinlock {

const Family& family();

}  // namespace lockbench::spinlock
