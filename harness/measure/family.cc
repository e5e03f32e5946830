#include "harness/measure/family.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace lockbench {

const char* to_string(VariantKind kind) {
  switch (kind) {
    case VariantKind::global:
      return "global";
    case VariantKind::scalable:
      return "scalable";
    case VariantKind::reference:
      return "reference";
    case VariantKind::broken:
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
  if (p > 0 && threads < 2) {
    throw std::invalid_argument("a ratio of " + std::to_string(p) + ":" + std::to_string(c) +
                                " needs a producer and a consumer, but the point has " +
                                std::to_string(threads) +
                                " thread; allowed: 2 threads or more, or a ratio 0:C");
  }
  int producers = static_cast<int>(std::lround(static_cast<double>(threads) * p / (p + c)));
  if (p > 0 && threads >= 2) producers = std::max(producers, 1);
  producers = std::min(producers, threads - 1);
  std::vector<int> roles(static_cast<std::size_t>(threads), 0);
  for (int i = threads - producers; i < threads; ++i) roles[static_cast<std::size_t>(i)] = 1;
  return roles;
}

namespace {

[[noreturn]] void refuse_family(const FamilyInfo& info, const std::string& what) {
  throw std::logic_error("family '" + info.name + "' " + what);
}

void check_unique(const FamilyInfo& info, const std::vector<std::string>& names,
                  const char* what) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (std::count(names.begin(), names.end(), names[i]) > 1) {
      refuse_family(info, "declares the " + std::string(what) + " '" + names[i] + "' twice");
    }
  }
}

// What the harness relies on when it runs a family: the per-thread arrays
// of ThreadContext are sized at compile time, names index the results.
void check_registration(const FamilyInfo& info) {
  if (info.counter_names.size() > static_cast<std::size_t>(kMaxCounters)) {
    refuse_family(info, "declares " + std::to_string(info.counter_names.size()) +
                            " counters; allowed: at most kMaxCounters = " +
                            std::to_string(kMaxCounters) + " (harness/measure/thread_context.h)");
  }
  if (info.lock_classes.size() > static_cast<std::size_t>(kMaxLockClasses)) {
    refuse_family(info, "declares " + std::to_string(info.lock_classes.size()) +
                            " lock classes; allowed: at most kMaxLockClasses = " +
                            std::to_string(kMaxLockClasses) + " (harness/measure/thread_context.h)");
  }
  if (info.role_names.empty()) refuse_family(info, "declares no thread role");
  std::vector<std::string> variants, params;
  for (const VariantInfo& v : info.variants) variants.push_back(v.name);
  for (const ParamInfo& p : info.params) params.push_back(p.name);
  check_unique(info, variants, "variant");
  check_unique(info, params, "parameter");
  check_unique(info, info.counter_names, "counter");
  check_unique(info, info.derived_counter_names, "derived counter");
  if (info.report.operation.empty()) refuse_family(info, "does not say what an operation is");
  for (const CounterFigure& f : info.report.figures) {
    const auto& counters = info.counter_names;
    const auto& derived = info.derived_counter_names;
    if (std::count(counters.begin(), counters.end(), f.counter) == 0 &&
        std::count(derived.begin(), derived.end(), f.counter) == 0) {
      refuse_family(info, "draws the counter '" + f.counter +
                              "', which is not one of its counters or derived counters");
    }
  }
  check_unique(info, info.lock_classes, "lock class");
  for (const VariantInfo& v : info.variants) {
    if (!v.make) refuse_family(info, "variant '" + v.name + "' has no workload (make)");
    for (const auto& [key, value] : v.overrides.items()) {
      if (std::count(params.begin(), params.end(), key) == 0) {
        refuse_family(info, "variant '" + v.name + "' overrides '" + key +
                                "', which is not one of its parameters");
      }
    }
  }
}

const char* kind_name(ParamInfo::Kind kind) {
  switch (kind) {
    case ParamInfo::Kind::integer:
      return "integer";
    case ParamInfo::Kind::real:
      return "real";
    case ParamInfo::Kind::choice:
      return "choice";
    case ParamInfo::Kind::ratio:
      return "ratio";
  }
  return "?";
}

const char* to_string(CounterFigure::Scale scale) {
  return scale == CounterFigure::Scale::per_second ? "per_second" : "as_is";
}

}  // namespace

nlohmann::json family_json(const FamilyInfo& info) {
  nlohmann::json variants = nlohmann::json::array(), params = nlohmann::json::array();
  for (const VariantInfo& v : info.variants) {
    variants.push_back({{"name", v.name},
                        {"kind", to_string(v.kind)},
                        {"summary", v.summary},
                        {"default_on", v.kind != VariantKind::broken},
                        {"overrides", v.overrides}});
  }
  for (const ParamInfo& p : info.params) {
    nlohmann::json param = {{"name", p.name},
                            {"type", kind_name(p.kind)},
                            {"default", p.default_value},
                            {"help", p.help}};
    if (p.kind == ParamInfo::Kind::ratio) {
      param["allowed"] = "P:C";
    } else if (p.kind == ParamInfo::Kind::choice) {
      param["allowed"] = p.choices;
    } else if (p.kind == ParamInfo::Kind::integer) {
      param["min"] = static_cast<long long>(p.min);
      param["max"] = static_cast<long long>(p.max);
    } else {
      param["min"] = p.min;
      param["max"] = p.max;
    }
    params.push_back(param);
  }
  nlohmann::json figures = nlohmann::json::array();
  for (const CounterFigure& f : info.report.figures) {
    figures.push_back({{"counter", f.counter}, {"label", f.label}, {"scale", to_string(f.scale)}});
  }
  return {{"name", info.name},
          {"summary", info.summary},
          {"variants", variants},
          {"params", params},
          {"roles", info.role_names},
          {"counters", info.counter_names},
          {"derived_counters", info.derived_counter_names},
          {"lock_classes", info.lock_classes},
          {"report",
           {{"operation", info.report.operation},
            {"figures", figures},
            {"handoff_bound", info.report.handoff_bound}}}};
}

Family::Family(FamilyInfo info) : info_(std::move(info)) { check_registration(info_); }

const VariantInfo* Family::find_variant(const std::string& name) const {
  for (const VariantInfo& v : info_.variants) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

std::unique_ptr<Workload> Family::make_workload(const std::string& variant, const Params& params,
                                                const std::vector<int>& roles) const {
  const VariantInfo* v = find_variant(variant);
  if (v == nullptr) {
    throw std::invalid_argument("family '" + name() + "' has no variant '" + variant + "'");
  }
  return v->make(params, roles);
}

const ParamInfo* Family::find_param(const std::string& name) const {
  for (const ParamInfo& p : info_.params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace lockbench
