#include "harness/sweep/sweep.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "benchmarks/families.h"
#include "harness/sweep/stats.h"

namespace lockbench {

namespace {

// Beyond warm-up and window, per repetition: forking the point, the
// hand-off probe, the checks; and per thread: creating and pinning it, its
// counters read on either side of the window, its drain.
constexpr double kStartAllowanceS = 0.03;
constexpr double kThreadAllowanceS = 0.0001;

std::string shown(const nlohmann::json& value) { return value.dump(); }

[[noreturn]] void refuse(const std::string& key, const nlohmann::json& value,
                         const std::string& allowed) {
  throw UsageError("config key '" + key + "': value " + shown(value) +
                   " is not allowed; allowed: " + allowed);
}

void check_keys(const nlohmann::json& object, const std::string& where,
                const std::set<std::string>& known) {
  for (const auto& [key, value] : object.items()) {
    if (!known.count(key)) {
      std::string allowed;
      for (const std::string& k : known) allowed += (allowed.empty() ? "" : ", ") + k;
      throw UsageError("config key '" + where + key + "' is unknown; allowed keys: " + allowed);
    }
  }
}

double number_in(const nlohmann::json& object, const std::string& key, const std::string& where,
                 double fallback, double min, double max, bool integer) {
  if (!object.contains(key)) return fallback;
  const nlohmann::json& value = object.at(key);
  const bool ok = integer ? value.is_number_integer() : value.is_number();
  if (!ok || value.get<double>() < min || value.get<double>() > max) {
    std::ostringstream allowed;
    allowed << (integer ? "an integer " : "a number ") << min << ".." << max;
    refuse(where + key, value, allowed.str());
  }
  return value.get<double>();
}

std::string string_in(const nlohmann::json& object, const std::string& key,
                      const std::string& where, const std::string& fallback,
                      const std::string& allowed) {
  if (!object.contains(key)) return fallback;
  const nlohmann::json& value = object.at(key);
  if (!value.is_string()) refuse(where + key, value, allowed);
  return value.get<std::string>();
}

std::vector<nlohmann::json> list_in(const nlohmann::json& object, const std::string& key,
                                    const std::string& where) {
  if (!object.contains(key)) return {};
  const nlohmann::json& value = object.at(key);
  if (value.is_array()) {
    if (value.empty()) refuse(where + key, value, "a non-empty list");
    return value.get<std::vector<nlohmann::json>>();
  }
  return {value};
}

std::string allowed_for(const ParamInfo& p) {
  std::ostringstream out;
  switch (p.kind) {
    case ParamInfo::Kind::integer:
      out << "an integer " << p.min << ".." << p.max;
      break;
    case ParamInfo::Kind::real:
      out << "a number " << p.min << ".." << p.max;
      break;
    case ParamInfo::Kind::choice:
      out << "one of";
      for (const std::string& c : p.choices) out << " " << c;
      break;
    case ParamInfo::Kind::ratio:
      out << "a ratio \"P:C\" of integers, P 0..1000, C 1..1000 (e.g. \"1:3\")";
      break;
  }
  return out.str();
}

nlohmann::json checked_param(const ParamInfo& p, const nlohmann::json& value,
                             const std::string& key) {
  bool ok = false;
  switch (p.kind) {
    case ParamInfo::Kind::integer:
      ok =
          value.is_number_integer() && value.get<double>() >= p.min && value.get<double>() <= p.max;
      break;
    case ParamInfo::Kind::real:
      ok = value.is_number() && value.get<double>() >= p.min && value.get<double>() <= p.max;
      break;
    case ParamInfo::Kind::choice:
      ok = value.is_string() &&
           std::count(p.choices.begin(), p.choices.end(), value.get<std::string>()) > 0;
      break;
    case ParamInfo::Kind::ratio:
      ok = value.is_string() && parse_ratio(value.get<std::string>()).has_value();
      break;
  }
  if (!ok) refuse(key, value, allowed_for(p));
  return value;
}

// "--set key=value": the value as JSON when it parses (numbers), else a string.
std::pair<std::string, nlohmann::json> parse_set(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw UsageError("--set '" + text +
                     "' is not key=value; allowed: a parameter name, '=', a value");
  }
  const std::string value = text.substr(eq + 1);
  nlohmann::json parsed = nlohmann::json::parse(value, nullptr, false);
  if (parsed.is_discarded()) parsed = value;
  return {text.substr(0, eq), parsed};
}

// A variant's own parameter values (VariantInfo::overrides) replace the
// family defaults and the config's values; a --set replaces them in turn.
Params with_overrides(const Family& family, const VariantInfo& variant, Params params,
                      const std::vector<std::pair<std::string, nlohmann::json>>& sets) {
  for (const auto& [key, value] : variant.overrides.items()) {
    const bool set_by_user = std::any_of(sets.begin(), sets.end(),
                                         [&](const auto& set) { return set.first == key; });
    if (set_by_user) continue;
    params[key] = checked_param(*family.find_param(key), value,
                                "variant '" + variant.name + "' override " + key);
  }
  return params;
}

template <typename T>
bool selected(const std::vector<T>& filter, const T& value) {
  return filter.empty() || std::count(filter.begin(), filter.end(), value) > 0;
}

// The cross product of per-parameter value lists, every parameter present.
std::vector<Params> param_grid(const Family& family, const nlohmann::json& sweep,
                               const std::string& where,
                               const std::vector<std::pair<std::string, nlohmann::json>>& sets) {
  std::vector<Params> grid = {Params::object()};
  const nlohmann::json given = sweep.value("params", nlohmann::json::object());
  if (!given.is_object()) refuse(where + "params", given, "an object of parameter: values");
  for (const auto& [key, value] : given.items()) {
    if (!family.find_param(key)) {
      std::string names;
      for (const ParamInfo& p : family.info().params) names += (names.empty() ? "" : ", ") + p.name;
      throw UsageError("config key '" + where + "params." + key +
                       "' is not a parameter of family '" + family.name() + "'; allowed: " + names);
    }
  }
  for (const ParamInfo& p : family.info().params) {
    std::vector<nlohmann::json> values = list_in(given, p.name, where + "params.");
    for (const auto& [key, value] : sets) {
      if (key == p.name) values = {value};
    }
    if (values.empty()) values = {p.default_value};
    std::vector<Params> next;
    for (const Params& partial : grid) {
      for (std::size_t i = 0; i < values.size(); ++i) {
        Params extended = partial;
        extended[p.name] = checked_param(p, values[i], where + "params." + p.name);
        next.push_back(extended);
      }
    }
    grid = std::move(next);
  }
  return grid;
}

// A parser callback that refuses a key given twice in one object: JSON
// parsers keep the last value without a word, so {"family": "spinlock",
// "family": "tasklet"} would quietly plan tasklet.
class DuplicateKeyCheck {
 public:
  explicit DuplicateKeyCheck(std::string path) : path_(std::move(path)) {}

  bool operator()(int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        frames_.push_back({event == Event::array_start, 0, {}, child_path()});
        break;
      case Event::object_end:
      case Event::array_end:
        frames_.pop_back();
        break;
      case Event::key: {
        Frame& object = frames_.back();
        key_ = parsed.get<std::string>();
        if (!object.keys.insert(key_).second) {
          throw UsageError("config file '" + path_ + "': key '" + child_path() +
                           "' is given twice; allowed: each key once per object");
        }
        break;
      }
      case Event::value:
        if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool array;
    std::size_t index;  // arrays: the next element's
    std::set<std::string> keys;
    std::string path;
  };

  // The path of the value about to be read: "sweeps[0].family".
  std::string child_path() {
    if (frames_.empty()) return "";
    Frame& parent = frames_.back();
    if (parent.array) return parent.path + "[" + std::to_string(parent.index++) + "]";
    return parent.path.empty() ? key_ : parent.path + "." + key_;
  }

  std::string path_;
  std::vector<Frame> frames_;
  std::string key_;  // the last key read
};

}  // namespace

std::string Point::name() const {
  std::string name = family->name() + "/" + variant->name;
  for (const ParamInfo& p : family->info().params) {
    const nlohmann::json& value = params.at(p.name);
    if (value != p.default_value) {
      name += "/" + p.name + ":" + (value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  if (home.kind != MemoryHome::Kind::first) name += "/home:" + home.to_string();
  if (sched != SchedPolicy::other) name += std::string("/sched:") + to_string(sched);
  return name + "/placement:" + placement.to_string() + "/threads:" + std::to_string(threads);
}

std::vector<int> Sweep::cpus_used(const Topology& topology) const {
  std::set<int> used;
  for (const Point& p : points) used.insert(p.cpus.begin(), p.cpus.end());
  std::vector<int> cpus;
  for (const Pu& pu : topology.pus()) {
    if (used.count(kUnpinned) || used.count(pu.os_index)) cpus.push_back(pu.os_index);
  }
  return cpus;
}

std::string RunSettings::repetitions_text() const {
  if (!adaptive) {
    return std::to_string(repetitions) + (repetitions == 1 ? " repetition" : " repetitions") +
           (repetitions < 6 ? " (no 95% intervals: they need 6)" : "");
  }
  char target[32];
  std::snprintf(target, sizeof target, "%g", 100 * target_ci);
  return std::to_string(kMinAdaptiveRepetitions) + " to " + std::to_string(max_repetitions) +
         " repetitions (until the median's 95% interval is within ±" + target + "%)";
}

nlohmann::json RunSettings::repetitions_json() const {
  return adaptive ? nlohmann::json("auto") : nlohmann::json(repetitions);
}

double Sweep::expected_repetitions() const {
  if (!settings.adaptive) return settings.repetitions;
  // The rounds stop a point between the fewest repetitions that give an
  // interval and max_repetitions: counted in the middle. (On a noisy 2-vCPU
  // VM the default sweep's points averaged 10.5 of 3 to 12; a quiet box
  // stops more of them at 6.)
  const int fewest = std::min(kRepetitionsForInterval, settings.max_repetitions);
  return (fewest + settings.max_repetitions) / 2.0;
}

double Sweep::run_seconds(const Point& point) const {
  const RunSettings& s = settings;
  return static_cast<double>(s.warmup_ms + s.duration_ms) / 1000.0 + kStartAllowanceS +
         point.threads * kThreadAllowanceS;
}

double Sweep::estimated_seconds() const {
  double seconds = 0;
  for (const Point& p : points) seconds += run_seconds(p);
  return seconds * expected_repetitions();
}

double Sweep::longest_seconds() const {
  double seconds = 0;
  for (const Point& p : points) seconds += run_seconds(p);
  return seconds * (settings.adaptive ? settings.max_repetitions : settings.repetitions);
}

namespace {

std::string duration_text(double s) {
  char text[96];
  if (s < 600) {
    std::snprintf(text, sizeof text, "%.0f s", s);
  } else if (s < 2 * 86400) {
    std::snprintf(text, sizeof text, "%.1f h (%.0f s)", s / 3600, s);
  } else {
    std::snprintf(text, sizeof text, "%.0f days (%.0f s)", s / 86400, s);
  }
  return text;
}

}  // namespace

std::string Sweep::estimate_text() const {
  std::string text = "about " + duration_text(estimated_seconds());
  if (settings.adaptive) text += ", at most " + duration_text(longest_seconds());
  return text;
}

std::vector<int> thread_ladder(const Topology& topology) {
  const int pus = static_cast<int>(topology.pus().size());
  std::set<int> counts;
  for (int n = 1; n <= pus; n *= 2) counts.insert(n);
  for (const Boundary& b : topology.compact_boundaries()) counts.insert(b.threads);
  return {counts.begin(), counts.end()};
}

int resolve_threads(const nlohmann::json& spec, const Topology& topology, const std::string& key) {
  const int pus = static_cast<int>(topology.pus().size());
  const std::string allowed = "a positive integer up to " + std::to_string(kMaxThreads) +
                              ", \"cores\", \"pus\", a multiple of the PUs such as \"2x\", "
                              "or \"ladder\"";
  double threads = -1;
  if (spec.is_number_integer()) {
    threads = spec.get<double>();
  } else if (spec.is_string()) {
    const std::string text = spec.get<std::string>();
    if (text == "cores") {
      threads = topology.cores();
    } else if (text == "pus") {
      threads = pus;
    } else if (text.size() > 1 && text.back() == 'x') {
      try {
        std::size_t used = 0;
        const double factor = std::stod(text.substr(0, text.size() - 1), &used);
        if (used == text.size() - 1 && factor > 0)
          threads = std::max(1.0, std::round(factor * pus));
      } catch (const std::logic_error&) {
      }
    } else {
      try {
        std::size_t used = 0;
        const int n = std::stoi(text, &used);
        if (used == text.size()) threads = n;
      } catch (const std::logic_error&) {
      }
    }
  }
  if (threads < 1 || threads > kMaxThreads) refuse(key, spec, allowed);
  return static_cast<int>(threads);
}

nlohmann::json parse_config(const std::string& text, const std::string& path) {
  nlohmann::json config = nlohmann::json::parse(text, DuplicateKeyCheck(path), false);
  if (config.is_discarded() || !config.is_object()) {
    throw UsageError("config file '" + path + "' is not a JSON object");
  }
  return config;
}

nlohmann::json read_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("config file '" + path + "' cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

namespace {

// The top-level settings: the config's, then the command line's.
RunSettings read_settings(const nlohmann::json& config, const Selection& selection) {
  RunSettings s;
  s.duration_ms =
      static_cast<std::uint64_t>(number_in(config, "duration_ms", "", 1000, 1, 3.6e6, true));
  s.warmup_ms = static_cast<std::uint64_t>(number_in(config, "warmup_ms", "", 100, 0, 3.6e6, true));
  if (config.value("repetitions", nlohmann::json()) == "auto") {
    s.adaptive = true;
  } else if (config.contains("repetitions") && !config["repetitions"].is_number_integer()) {
    refuse("repetitions", config["repetitions"], "an integer 1..1000 or \"auto\"");
  } else {
    s.repetitions = static_cast<int>(number_in(config, "repetitions", "", 3, 1, 1000, true));
  }
  s.target_ci = number_in(config, "target_ci_pct", "", 5, 0.1, 100, false) / 100;
  s.max_repetitions = static_cast<int>(number_in(config, "max_repetitions", "", 10,
                                                 RunSettings::kMinAdaptiveRepetitions, 1000, true));
  s.watchdog_s = number_in(config, "watchdog_s", "", 10, 0.1, 86400, false);
  s.drain_limit_s = number_in(config, "drain_limit_s", "", 600, 0.1, 86400, false);
  s.sample_every =
      static_cast<std::uint32_t>(number_in(config, "sample_every", "", 64, 1, 1e9, true));
  const std::string overflow =
      string_in(config, "overflow", "", "wrap", "\"wrap\" or \"unpinned\"");
  try {
    s.overflow = parse_overflow(overflow);
  } catch (const std::invalid_argument&) {
    refuse("overflow", overflow, "\"wrap\" or \"unpinned\"");
  }
  if (selection.duration_ms) s.duration_ms = static_cast<std::uint64_t>(*selection.duration_ms);
  if (selection.repetitions) {
    s.repetitions = *selection.repetitions;
    s.adaptive = false;
  }
  if (selection.repetitions_auto) s.adaptive = true;
  if (selection.target_ci_pct) s.target_ci = *selection.target_ci_pct / 100;
  if (selection.max_repetitions) s.max_repetitions = *selection.max_repetitions;
  return s;
}

// A config that needs more packages or NUMA nodes than the topology has is
// refused.
void check_machine_needs(const nlohmann::json& config, const std::string& name,
                         const Topology& topology) {
  const std::pair<const char*, int> needs[] = {{"min_packages", topology.packages()},
                                               {"min_numa_nodes", topology.numa_nodes()}};
  for (const auto& [key, has] : needs) {
    const auto least = static_cast<int>(number_in(config, key, "", 1, 1, 1024, true));
    if (has >= least) continue;
    const std::string what = std::string(key) == "min_packages" ? " packages" : " NUMA nodes";
    throw UsageError("config '" + name + "' needs at least " + std::to_string(least) + what + " (" +
                     key + "); the topology has " + topology.summary() +
                     "; allowed: a machine (or --topology) with " + std::to_string(least) + what +
                     " or more");
  }
}

const Family* entry_family(const nlohmann::json& entry, const std::string& where) {
  std::string families;
  for (const Family* f : all_families()) families += (families.empty() ? "" : ", ") + f->name();
  if (!entry.contains("family")) refuse(where + "family", nullptr, families);
  const std::string family_name = string_in(entry, "family", where, "", families);
  const Family* family = find_family(family_name);
  if (!family) refuse(where + "family", family_name, families);
  return family;
}

// --variant's (noting which it found), else the entry's, else every variant
// that is not broken.
std::vector<const VariantInfo*> entry_variants(const nlohmann::json& entry,
                                               const std::string& where, const Family& family,
                                               const Selection& selection,
                                               std::set<std::string>& variants_used) {
  std::vector<const VariantInfo*> variants;
  if (!selection.variants.empty()) {
    for (const std::string& v : selection.variants) {
      if (const VariantInfo* info = family.find_variant(v)) {
        variants.push_back(info);
        variants_used.insert(v);
      }
    }
  } else if (entry.contains("variants")) {
    for (const nlohmann::json& v : list_in(entry, "variants", where)) {
      const VariantInfo* info = v.is_string() ? family.find_variant(v.get<std::string>()) : nullptr;
      if (!info) {
        std::string all;
        for (const VariantInfo& known : family.info().variants)
          all += (all.empty() ? "" : ", ") + known.name;
        refuse(where + "variants", v, all);
      }
      variants.push_back(info);
    }
  } else {
    for (const VariantInfo& v : family.info().variants) {
      if (v.kind != VariantKind::broken) variants.push_back(family.find_variant(v.name));
    }
  }
  return variants;
}

// A thread count to plan, and whether a ladder gave it (make_point).
struct ThreadCount {
  int threads;
  bool from_ladder;
};

// --threads's, else the entry's, else 1 and "pus"; resolved (a ladder into its
// counts), without repeats.
std::vector<ThreadCount> entry_thread_counts(const nlohmann::json& entry, const std::string& where,
                                             const Selection& selection, const Topology& topology) {
  std::vector<nlohmann::json> thread_specs = list_in(entry, "threads", where);
  if (!selection.threads.empty())
    thread_specs.assign(selection.threads.begin(), selection.threads.end());
  if (thread_specs.empty()) thread_specs = {1, "pus"};
  std::vector<ThreadCount> thread_counts;
  const auto add = [&](int n, bool from_ladder) {
    const auto same = std::find_if(thread_counts.begin(), thread_counts.end(),
                                   [&](const ThreadCount& c) { return c.threads == n; });
    if (same == thread_counts.end()) {
      thread_counts.push_back({n, from_ladder});
    } else {
      same->from_ladder = same->from_ladder && from_ladder;
    }
  };
  for (const nlohmann::json& spec : thread_specs) {
    if (spec == "ladder") {
      for (int n : thread_ladder(topology)) add(n, true);
    } else {
      add(resolve_threads(spec, topology,
                          selection.threads.empty() ? where + "threads" : "--threads"),
          false);
    }
  }
  return thread_counts;
}

// --placement's, else the entry's, else "none".
std::vector<PlacementSpec> entry_placements(const nlohmann::json& entry, const std::string& where,
                                            const Selection& selection) {
  std::vector<nlohmann::json> placement_texts = list_in(entry, "placements", where);
  if (!selection.placements.empty())
    placement_texts.assign(selection.placements.begin(), selection.placements.end());
  if (placement_texts.empty()) placement_texts = {"none"};
  std::vector<PlacementSpec> placements;
  for (const nlohmann::json& text : placement_texts) {
    const std::string key = selection.placements.empty() ? where + "placements" : "--placement";
    if (!text.is_string()) refuse(key, text, "a placement name");
    try {
      placements.push_back(PlacementSpec::parse(text.get<std::string>()));
    } catch (const std::invalid_argument& e) {
      throw UsageError(key + ": " + e.what());
    }
  }
  return placements;
}

// The command line's values of a key (--home, --sched), else the entry's,
// else `fallback`; each parsed, and one that does not parse refused naming
// where it came from.
template <typename Parse>
auto entry_choices(const nlohmann::json& entry, const std::string& where, const std::string& key,
                   const std::vector<std::string>& given, const char* fallback, const char* allowed,
                   Parse parse) {
  std::vector<nlohmann::json> texts = list_in(entry, key, where);
  if (!given.empty()) texts.assign(given.begin(), given.end());
  if (texts.empty()) texts = {fallback};
  const std::string named = given.empty() ? where + key : "--" + key;
  std::vector<decltype(parse(std::string{}))> choices;
  for (const nlohmann::json& text : texts) {
    if (!text.is_string()) refuse(named, text, allowed);
    try {
      choices.push_back(parse(text.get<std::string>()));
    } catch (const std::invalid_argument&) {
      refuse(named, text, allowed);
    }
  }
  return choices;
}

// One point, its roles, CPUs and home planned. A point whose roles cannot
// be filled, or whose parameters cannot run with them, would measure
// nothing: refused before anything runs. A count a ladder gave is left out
// (nullopt) where the roles cannot be filled or no node is far from the
// threads: those depend on the count, and the ladder is every count the
// point can run.
std::optional<Point> make_point(const Family& family, const VariantInfo& variant,
                                const Params& params, const PlacementSpec& placement,
                                const MemoryHome& home, SchedPolicy sched, const ThreadCount& count,
                                Overflow overflow, const Topology& topology,
                                const std::string& where, const std::string& home_key) {
  Point p;
  p.family = &family;
  p.variant = &variant;
  p.threads = count.threads;
  p.placement = placement;
  p.params = params;
  p.home = home;
  p.sched = sched;
  try {
    p.roles = family.assign_roles(params, p.threads);
    family.check_point(params, p.roles);
  } catch (const std::invalid_argument& e) {
    if (count.from_ladder) return std::nullopt;
    throw UsageError(where + "threads " + std::to_string(p.threads) + " (point " + p.name() +
                     "): " + e.what());
  }
  try {
    p.cpus = plan_cpus(topology, placement, p.threads, overflow, p.roles);
    p.oversubscribed = oversubscribed(topology, p.cpus);
  } catch (const std::invalid_argument& e) {
    throw UsageError(where + "placements: " + e.what());
  }
  try {
    p.binding = resolve_home(topology, home, p.cpus);
  } catch (const std::invalid_argument& e) {
    if (count.from_ladder && home.kind == MemoryHome::Kind::far) return std::nullopt;
    throw UsageError(home_key + " (point " + p.name() + "): " + e.what());
  }
  return p;
}

// What a selection named that no selected family has is a mistake, said.
void check_selection_used(const Selection& selection, const std::set<std::string>& variants_used,
                          const std::vector<std::pair<std::string, nlohmann::json>>& sets,
                          const std::set<std::string>& sets_used) {
  for (const std::string& v : selection.variants) {
    if (!variants_used.count(v)) {
      throw UsageError("--variant '" + v +
                       "' is not a variant of any selected family; see 'lockbench list'");
    }
  }
  for (const auto& [key, value] : sets) {
    if (!sets_used.count(key)) {
      throw UsageError("--set '" + key +
                       "' is not a parameter of any selected family; see 'lockbench list'");
    }
  }
}

}  // namespace

Sweep expand_sweep(const nlohmann::json& config, const Selection& selection,
                   const Topology& topology) {
  check_keys(config, "",
             {"name", "description", "duration_ms", "warmup_ms", "repetitions", "target_ci_pct",
              "max_repetitions", "watchdog_s", "drain_limit_s", "sample_every", "overflow",
              "min_packages", "min_numa_nodes", "sweeps"});
  Sweep sweep;
  sweep.config = config;
  sweep.name = string_in(config, "name", "", "unnamed", "a string");
  string_in(config, "description", "", "", "a string");
  check_machine_needs(config, sweep.name, topology);
  sweep.settings = read_settings(config, selection);

  for (const std::string& f : selection.families) {
    if (!find_family(f))
      throw UsageError("--family '" + f + "' is not a family; see 'lockbench list'");
  }
  std::vector<std::pair<std::string, nlohmann::json>> sets;
  for (const std::string& text : selection.sets) sets.push_back(parse_set(text));

  const std::vector<nlohmann::json> sweeps = list_in(config, "sweeps", "");
  if (sweeps.empty())
    refuse("sweeps", config.value("sweeps", nlohmann::json()), "a non-empty list of sweeps");
  std::set<std::string> variants_used, sets_used, names;
  for (std::size_t i = 0; i < sweeps.size(); ++i) {
    const std::string where = "sweeps[" + std::to_string(i) + "].";
    const nlohmann::json& entry = sweeps[i];
    if (!entry.is_object()) refuse("sweeps[" + std::to_string(i) + "]", entry, "an object");
    check_keys(entry, where,
               {"family", "variants", "threads", "placements", "home", "sched", "params"});
    const Family* family = entry_family(entry, where);
    if (!selected(selection.families, family->name())) continue;
    const std::vector<const VariantInfo*> variants =
        entry_variants(entry, where, *family, selection, variants_used);
    const std::vector<ThreadCount> thread_counts =
        entry_thread_counts(entry, where, selection, topology);
    const std::vector<PlacementSpec> placements = entry_placements(entry, where, selection);
    const std::vector<MemoryHome> homes = entry_choices(
        entry, where, "home", selection.homes, "first", MemoryHome::kAllowed, MemoryHome::parse);
    const std::vector<SchedPolicy> scheds =
        entry_choices(entry, where, "sched", selection.scheds, "other", kSchedAllowed, parse_sched);
    const std::string home_key = selection.homes.empty() ? where + "home" : "--home";
    for (const auto& [key, value] : sets) {
      if (family->find_param(key)) sets_used.insert(key);
    }
    const std::vector<Params> grid = param_grid(*family, entry, where, sets);

    for (const VariantInfo* variant : variants) {
      for (const Params& grid_params : grid) {
        const Params params = with_overrides(*family, *variant, grid_params, sets);
        for (const MemoryHome& home : homes) {
          for (const SchedPolicy sched : scheds) {
            for (const PlacementSpec& placement : placements) {
              for (const ThreadCount& count : thread_counts) {
                std::optional<Point> p =
                    make_point(*family, *variant, params, placement, home, sched, count,
                               sweep.settings.overflow, topology, where, home_key);
                if (p && names.insert(p->name()).second) sweep.points.push_back(std::move(*p));
              }
            }
          }
        }
      }
    }
  }
  check_selection_used(selection, variants_used, sets, sets_used);
  if (sweep.points.empty()) throw UsageError("the selection leaves no point to run");
  return sweep;
}

}  // namespace lockbench
