#include "harness/family.h"

namespace lockbench {

const char* to_string(Role role) {
  switch (role) {
    case Role::global:
      return "global";
    case Role::scalable:
      return "scalable";
    case Role::reference:
      return "reference";
    case Role::broken:
      return "broken";
  }
  return "?";
}

const VariantInfo* Family::find_variant(const std::string& name) const {
  for (const VariantInfo& v : info_.variants) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

const ParamInfo* Family::find_param(const std::string& name) const {
  for (const ParamInfo& p : info_.params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace lockbench
