#pragma once

#include "harness/runner/family.h"

namespace lockbench::tasklet {

const Family& family();

}  // namespace lockbench::tasklet
