#include "harness/family.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

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

std::optional<std::pair<int, int>> parse_ratio(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  try {
    std::size_t used_p = 0, used_c = 0;
    const std::string p = text.substr(0, colon), c = text.substr(colon + 1);
    const int producers = std::stoi(p, &used_p), consumers = std::stoi(c, &used_c);
    if (used_p != p.size() || used_c != c.size() || producers < 0 || consumers < 1 ||
        producers > 1000 || consumers > 1000) {
      return std::nullopt;
    }
    return std::make_pair(producers, consumers);
  } catch (const std::logic_error&) {
    return std::nullopt;
  }
}

std::vector<int> roles_from_ratio(std::pair<int, int> ratio, int threads) {
  const auto [p, c] = ratio;
  int producers = static_cast<int>(std::lround(static_cast<double>(threads) * p / (p + c)));
  if (p > 0 && threads >= 2) producers = std::max(producers, 1);
  producers = std::min(producers, threads - 1);
  std::vector<int> roles(static_cast<std::size_t>(threads), 0);
  for (int i = threads - producers; i < threads; ++i) roles[static_cast<std::size_t>(i)] = 1;
  return roles;
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
