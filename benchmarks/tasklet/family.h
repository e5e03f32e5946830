#pragma once

#include "harness/family.h"

namespace lockbench::tasklet {

const Family& family();

}  // namespace lockbench::tasklet
