#pragma once

#include "harness/measure/family.h"

namespace lockbench::ioworker {

const Family& family();

}  // namespace lockbench::ioworker
