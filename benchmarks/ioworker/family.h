#pragma once

#include "harness/runner/family.h"

namespace lockbench::ioworker {

const Family& family();

}  // namespace lockbench::ioworker
