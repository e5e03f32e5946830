#pragma once

#include "harness/family.h"

namespace lockbench::spinlock {

const Family& family();

}  // namespace lockbench::spinlock
