#pragma once

#include "harness/measure/family.h"

namespace lockbench::tasklet {

const Family& family();

}  // namespace lockbench::tasklet
