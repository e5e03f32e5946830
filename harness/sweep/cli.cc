#include "harness/sweep/cli.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "benchmarks/families.h"
#include "harness/measure/calibration.h"
#include "harness/measure/delay.h"
#include "harness/measure/family.h"
#include "harness/measure/sched_policy.h"
#include "harness/measure/topology.h"
#include "harness/sweep/exit_status.h"
#include "harness/sweep/gbench_replay.h"
#include "harness/sweep/memory_check.h"
#include "harness/sweep/results.h"
#include "harness/sweep/sweep.h"

namespace lockbench {

namespace {

// What the commands that take them say of a selection and of SPEC.
constexpr const char* kSelectionHelp =
    R"(selection (narrows the config's sweep; lists are comma-separated):
  --family F   --variant V   --threads LIST   --placement P   --home H
  --sched S   --duration-ms N   --set key=value (repeatable)
  threads: N, cores, pus, 2x (a multiple of the PUs), ladder (doubling to the
           PUs and each level a compact placement fills: plan names them)
  home: first, node:N, far, interleave (where the shared state lives)
  sched: other (SCHED_OTHER, the default), rr (SCHED_RR priority 1: needs root,
         CAP_SYS_NICE or RLIMIT_RTPRIO 2; docs/methodology.md says why)
  --repetitions N|auto   auto: at least 3, more until the median's 95% interval
                         is within --target-ci PCT of it (default 5) or
                         --max-repetitions N (default 10) are done
)";

constexpr const char* kTopologySpecHelp =
    R"(SPEC: 'synthetic:<hwloc synthetic description>' (e.g. 'synthetic:pack:2 core:8 pu:2')
      or the path of an hwloc XML file; without it, this machine.
)";

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

// Options of one command: flags that take a value, boolean flags, and
// arguments passed through to Google Benchmark.
struct Options {
  std::map<std::string, std::string> values;
  std::vector<std::string> sets;
  bool json = false;
  bool help = false;  // --help or -h: the command's usage, and nothing else
  std::vector<std::string> gbench;

  std::string get(const std::string& key) const {
    const auto it = values.find(key);
    return it == values.end() ? "" : it->second;
  }
};

// --placement's list: comma-separated, except that the CPUs of a list
// placement ("list:0,2,4-7") continue it, as in a config's "list:0,2,4-7".
std::vector<std::string> split_placements(const std::string& text) {
  std::vector<std::string> placements;
  for (const std::string& item : split_list(text)) {
    const bool continues_list = std::isdigit(static_cast<unsigned char>(item[0])) &&
                                !placements.empty() && placements.back().rfind("list:", 0) == 0;
    if (continues_list) {
      placements.back() += "," + item;
    } else {
      placements.push_back(item);
    }
  }
  return placements;
}

// The integer an option gives, within min..max; nullopt when not given.
std::optional<int> number_option(const Options& o, const std::string& key, int min, int max) {
  const std::string text = o.get(key);
  if (text.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    const long long n = std::stoll(text, &used);
    if (used == text.size() && n >= min && n <= max) return static_cast<int>(n);
  } catch (const std::logic_error&) {
  }
  throw UsageError("option " + key + ": value '" + text + "' is not allowed; allowed: an integer " +
                   std::to_string(min) + ".." + std::to_string(max));
}

// --target-ci's percentage of the median; nullopt when not given.
std::optional<double> target_ci_option(const Options& o) {
  const std::string text = o.get("--target-ci");
  if (text.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    const double pct = std::stod(text, &used);
    if (used == text.size() && pct >= 0.1 && pct <= 100) return pct;
  } catch (const std::logic_error&) {
  }
  throw UsageError("option --target-ci: value '" + text +
                   "' is not allowed; allowed: a percentage of the median 0.1..100");
}

Selection selection_of(const Options& o) {
  Selection s;
  s.families = split_list(o.get("--family"));
  s.variants = split_list(o.get("--variant"));
  s.threads = split_list(o.get("--threads"));
  s.placements = split_placements(o.get("--placement"));
  s.homes = split_list(o.get("--home"));
  s.scheds = split_list(o.get("--sched"));
  s.duration_ms = number_option(o, "--duration-ms", 1, 3600000);
  if (o.get("--repetitions") == "auto") {
    s.repetitions_auto = true;
  } else {
    try {
      s.repetitions = number_option(o, "--repetitions", 1, 1000);
    } catch (const UsageError&) {
      throw UsageError("option --repetitions: value '" + o.get("--repetitions") +
                       "' is not allowed; allowed: an integer 1..1000 or 'auto'");
    }
  }
  s.max_repetitions =
      number_option(o, "--max-repetitions", RunSettings::kMinAdaptiveRepetitions, 1000);
  s.target_ci_pct = target_ci_option(o);
  s.sets = o.sets;
  return s;
}

// The options plan and run take besides the selection's.
std::vector<std::string> with_selection_flags(std::vector<std::string> flags) {
  flags.insert(flags.end(),
               {"--family", "--variant", "--threads", "--placement", "--home", "--sched",
                "--duration-ms", "--repetitions", "--max-repetitions", "--target-ci", "--set"});
  return flags;
}

Topology load_topology(const std::string& spec) {
  try {
    return Topology::load(spec);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--topology: ") + e.what());
  }
}

// The delay loop's calibration, made (or read from its variable) before
// anything runs, so a bad LOCKBENCH_DELAY_LOOPS_PER_NS is a usage error.
void delay_loops_per_ns() {
  try {
    Delay::loops_per_ns();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

int cmd_list(const Options& o) {
  nlohmann::json families = nlohmann::json::array();
  for (const Family* f : all_families()) families.push_back(family_json(f->info()));
  if (o.json) {
    std::cout << nlohmann::json{{"families", families}}.dump(2) << "\n";
    return 0;
  }
  for (const nlohmann::json& f : families) {
    std::cout << f["name"].get<std::string>() << ": " << f["summary"].get<std::string>()
              << "\n  variants:\n";
    for (const nlohmann::json& v : f["variants"]) {
      std::printf("    %-22s %-10s %s%s\n", v["name"].get<std::string>().c_str(),
                  v["kind"].get<std::string>().c_str(), v["summary"].get<std::string>().c_str(),
                  v["default_on"].get<bool>() ? "" : " (off by default)");
      if (!v["overrides"].empty()) {
        std::string sets;
        for (const auto& [key, value] : v["overrides"].items()) {
          sets += " " + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
        }
        std::printf("    %-22s %-10s runs with%s (--set changes them)\n", "", "", sets.c_str());
      }
    }
    std::cout << "  parameters:\n";
    for (const nlohmann::json& p : f["params"]) {
      const std::string range =
          p.contains("allowed") ? p["allowed"].dump() : p["min"].dump() + ".." + p["max"].dump();
      std::printf("    %-16s %-8s default %-8s %-16s %s\n", p["name"].get<std::string>().c_str(),
                  p["type"].get<std::string>().c_str(), p["default"].dump().c_str(), range.c_str(),
                  p["help"].get<std::string>().c_str());
    }
  }
  return 0;
}

int cmd_topology(const Options& o) {
  const Topology topology = load_topology(o.get("--topology"));
  const nlohmann::json d = topology.describe();
  if (o.json) {
    std::cout << d.dump(2) << "\n";
    return 0;
  }
  std::cout << d["source"].get<std::string>() << ": " << d["summary"].get<std::string>() << "\n";
  std::cout << "CPU model: " << topology.cpu_model() << "\n";
  if (d["caches"].empty()) std::cout << "  caches: none reported\n";
  for (const nlohmann::json& c : d["caches"]) {
    std::cout << "  " << c["level"].get<std::string>() << ": " << c["count"] << " x "
              << c["size_bytes"].get<long long>() / 1024 << " KiB, line " << c["line_size"]
              << " B\n";
  }
  std::cout << "  cpu  package  numa  core  smt\n";
  for (const nlohmann::json& pu : d["pu_list"]) {
    std::printf("  %3d  %7d  %4d  %4d  %3d\n", pu["cpu"].get<int>(), pu["package"].get<int>(),
                pu["numa_node"].get<int>(), pu["core"].get<int>(), pu["smt_rank"].get<int>());
  }
  return 0;
}

// The machine's figures (harness/measure/calibration.h): the clock, the delay loop
// and the hand-off latency between each pair of the placement's CPUs (every
// PU by default).
int cmd_calibrate(const Options& o) {
  const Topology topology = Topology::load("");
  std::vector<int> cpus;
  if (const std::string placement = o.get("--placement"); !placement.empty()) {
    std::vector<int> planned;
    try {
      planned = plan_cpus(topology, PlacementSpec::parse(placement),
                          static_cast<int>(topology.pus().size()), Overflow::wrap);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--placement: ") + e.what());
    }
    for (int cpu : planned) {
      if (cpu != kUnpinned && std::find(cpus.begin(), cpus.end(), cpu) == cpus.end())
        cpus.push_back(cpu);
    }
  }
  if (cpus.empty()) {
    for (const Pu& pu : topology.pus()) cpus.push_back(pu.os_index);
  }
  delay_loops_per_ns();
  const Calibration c = calibrate(topology, cpus);
  if (o.json) {
    std::cout << c.to_json().dump(2) << "\n";
    return 0;
  }
  std::printf("%s\nclock read %.1f ns, timing an operation %.1f ns, delay loop error under load "
              "%.1f%%\n",
              topology.summary().c_str(), c.clock_read_ns, c.timing_cost_ns, c.delay_error_pct);
  std::printf("one-way cache-line hand-off, ns (row: from, column: to):\n%6s", "");
  for (int cpu : c.handoffs.cpus) std::printf(" %6d", cpu);
  std::printf("\n");
  for (std::size_t i = 0; i < c.handoffs.cpus.size(); ++i) {
    std::printf("%6d", c.handoffs.cpus[i]);
    for (double ns : c.handoffs.ns[i]) std::printf(" %6.0f", ns);
    std::printf("\n");
  }
  if (const double fastest = c.handoffs.fastest_ns(); fastest > 0) {
    std::printf("no lock passes between two of these CPUs more than about %.3g times/s "
                "(1e9 / %.0f ns)\n",
                1e9 / fastest, fastest);
  }
  return 0;
}

// "0-3,8,-x4": runs of consecutive CPUs as ranges, unpinned threads as "-".
std::string cpus_text(const std::vector<int>& cpus) {
  std::string text;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i + 1;
    if (!text.empty()) text += ',';
    if (cpus[i] < 0) {
      while (j < cpus.size() && cpus[j] < 0) ++j;
      text += '-';
      if (j - i > 1) text += 'x' + std::to_string(j - i);
    } else {
      while (j < cpus.size() && cpus[j] == cpus[j - 1] + 1) ++j;
      text += std::to_string(cpus[i]);
      if (j - i > 1) text += '-' + std::to_string(cpus[j - 1]);
    }
    i = j;
  }
  return text;
}

// The sweep's thread counts within the CPUs and beyond them (oversubscribed).
nlohmann::json thread_counts_json(const Sweep& sweep, const Topology& topology) {
  const auto pus = static_cast<int>(topology.pus().size());
  std::set<int> within, beyond;
  for (const Point& p : sweep.points) (p.threads <= pus ? within : beyond).insert(p.threads);
  return {{"within_cpus", within}, {"oversubscribed", beyond}};
}

void print_thread_counts(const Sweep& sweep, const Topology& topology,
                         const std::vector<Boundary>& boundaries) {
  const nlohmann::json counts = thread_counts_json(sweep, topology);
  const auto list = [&](const nlohmann::json& threads) {
    std::string text;
    for (int n : threads) {
      const std::string boundary = boundary_at(boundaries, n);
      text += (text.empty() ? "" : ", ") + std::to_string(n) +
              (boundary.empty() ? "" : " (" + boundary + ")");
    }
    return text.empty() ? std::string("none") : text;
  };
  std::printf("thread counts within the CPUs (%zu): %s\n", counts["within_cpus"].size(),
              list(counts["within_cpus"]).c_str());
  std::printf("thread counts oversubscribed (%zu): %s\n", counts["oversubscribed"].size(),
              list(counts["oversubscribed"]).c_str());
}

// A sweep that would run for more than a day is most likely a slip (a
// duration in microseconds, a repetition count too many): said before it runs.
void warn_if_long(const Sweep& sweep) {
  if (sweep.estimated_seconds() <= kLongSweepS) return;
  std::cerr << "lockbench: warning: sweep '" << sweep.name << "' is estimated at "
            << sweep.estimate_text() << " (" << sweep.points.size() << " points x "
            << sweep.settings.repetitions_text() << " of " << sweep.settings.warmup_ms
            << " + " << sweep.settings.duration_ms
            << " ms); narrow it with --duration-ms, --repetitions or a selection\n";
}

// A sweep with rr points that this process may not run is refused before
// anything runs: otherwise each such point would fail in turn, after the
// sweep's calibration and between the points that can run, and the file
// would hold failures where the user asked for measurements. (A point
// refused all the same, by a cgroup that changes under a running sweep,
// still fails on its own: run_point.)
void check_sched(const Sweep& sweep) {
  const auto rr = std::find_if(sweep.points.begin(), sweep.points.end(),
                               [](const Point& p) { return p.sched == SchedPolicy::rr; });
  if (rr == sweep.points.end()) return;
  const std::string refused = sched_refusal(SchedPolicy::rr);
  if (refused.empty()) return;
  throw UsageError("config key 'sched' (or --sched): value \"rr\" (point " + rr->name() +
                   ") cannot run in this process: " + refused + "; " + kSchedRemedy +
                   "; allowed here: \"other\"");
}

int cmd_plan(const Options& o) {
  if (o.get("--config").empty()) throw UsageError("plan needs --config FILE");
  const Topology topology = load_topology(o.get("--topology"));
  const Sweep sweep = expand_sweep(read_config_file(o.get("--config")), selection_of(o), topology);
  // Checked as run checks it, though a plan of another box runs nothing here.
  available_memory_bytes();
  warn_if_long(sweep);
  const std::vector<Boundary> boundaries = topology.compact_boundaries();
  if (o.json) {
    nlohmann::json points = nlohmann::json::array();
    for (const Point& p : sweep.points) {
      nlohmann::json roles = nlohmann::json::array();
      for (int r : p.roles)
        roles.push_back(p.family->info().role_names.at(static_cast<std::size_t>(r)));
      points.push_back({{"name", p.name()},
                        {"family", p.family->name()},
                        {"variant", p.variant->name},
                        {"kind", to_string(p.variant->kind)},
                        {"threads", p.threads},
                        {"boundary", boundary_at(boundaries, p.threads)},
                        {"placement", p.placement.to_string()},
                        {"home", p.home.to_string()},
                        {"home_nodes", p.binding.nodes},
                        {"sched", to_string(p.sched)},
                        {"cpus", p.cpus},
                        {"thread_roles", roles},
                        {"params", p.params}});
    }
    std::cout << nlohmann::json{{"topology", topology.summary()},
                                {"thread_counts", thread_counts_json(sweep, topology)},
                                {"points", points},
                                {"repetitions", sweep.settings.repetitions_json()},
                                {"estimated_seconds", sweep.estimated_seconds()}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << "sweep '" << sweep.name << "' on " << topology.summary() << "\n";
  for (const Point& p : sweep.points) {
    const std::string boundary = boundary_at(boundaries, p.threads);
    std::printf("  %-64s cpus %s%s\n", p.name().c_str(), cpus_text(p.cpus).c_str(),
                boundary.empty() ? "" : ("  (" + boundary + ")").c_str());
  }
  print_thread_counts(sweep, topology, boundaries);
  std::printf("%zu points x %s, estimated %s\n", sweep.points.size(),
              sweep.settings.repetitions_text().c_str(), sweep.estimate_text().c_str());
  return 0;
}

int cmd_run(const Options& o) {
  if (o.get("--config").empty()) throw UsageError("run needs --config FILE");
  const std::string out = o.get("--out").empty() ? o.get("--resume") : o.get("--out");
  if (out.empty()) throw UsageError("run needs --out FILE (or --resume FILE)");
  const Topology topology = load_topology("");
  std::vector<std::string> gbench = o.gbench;
  Sweep sweep = apply_benchmark_filter(
      expand_sweep(read_config_file(o.get("--config")), selection_of(o), topology), gbench);
  check_memory(sweep, available_memory_bytes());
  delay_loops_per_ns();
  check_sched(sweep);
  warn_if_long(sweep);
  const std::string resume = o.get("--resume");
  if (!resume.empty() && access(resume.c_str(), R_OK) != 0) {
    throw UsageError("--resume " + resume + ": cannot be read (" + strerror(errno) +
                     "); allowed: a results file of an earlier run");
  }
  // Claimed before the file is read for --resume: what it holds then is what
  // this run keeps.
  ResultsTarget target =
      ResultsTarget::claim(out, o.get("--out").empty() ? "--resume" : "--out", {o.get("--config")});
  if (resume.empty()) return run_sweep(sweep, topology, std::move(target), gbench);

  Resumed resumed = resume_from(resume, sweep);
  const std::set<std::string> done(resumed.done.begin(), resumed.done.end());
  std::erase_if(sweep.points, [&](const Point& p) { return done.count(p.name()) > 0; });
  std::printf("lockbench: resuming %s: %zu points already measured, %zu to run\n",
              resume.c_str(), done.size(), sweep.points.size());
  if (sweep.points.empty()) return 0;
  return run_sweep(sweep, topology, std::move(target), gbench, std::move(resumed.entries));
}

// One command of the command line: how it is called, what it does, the
// options it takes, and the function that runs it.
struct Command {
  std::string name;
  std::vector<std::string> forms;        // how it is called, after "lockbench "
  std::string what;                      // what it does, one or more lines
  std::vector<std::string> value_flags;  // options followed by a value
  bool passes_gbench_flags;              // --benchmark_* go to Google Benchmark
  std::vector<const char*> sections;     // shared help: selection, SPEC
  int (*run)(const Options&);
};

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"list",
       {"list [--json]"},
       "families, variants (with kinds), parameters",
       {},
       false,
       {},
       cmd_list},
      {"topology",
       {"topology [--topology SPEC] [--json]"},
       "packages, NUMA nodes, cores, PUs, caches",
       {"--topology"},
       false,
       {kTopologySpecHelp},
       cmd_topology},
      {"calibrate",
       {"calibrate [--placement P] [--json]"},
       "the clock's read cost, the delay loop's error under load, and the one-way\n"
       "cache-line hand-off between each pair of CPUs (the placement's; every PU by\n"
       "default)",
       {"--placement"},
       false,
       {},
       cmd_calibrate},
      {"plan",
       {"plan --config FILE [--topology SPEC] [--json] [selection]"},
       "every point, the CPU of each thread, the estimated duration; runs nothing",
       with_selection_flags({"--config", "--topology"}),
       false,
       {kSelectionHelp, kTopologySpecHelp},
       cmd_plan},
      {"run",
       {"run --config FILE --out FILE [selection] [--benchmark_* ...]",
        "run --config FILE --resume FILE [--out FILE] [selection]"},
       "run the sweep, write results as points finish; with --resume, skip the\n"
       "points FILE measured and keep every one of them (Ctrl-C or SIGTERM stop a\n"
       "sweep and keep them)",
       with_selection_flags({"--config", "--out", "--resume"}),
       true,
       {kSelectionHelp},
       cmd_run},
  };
  return table;
}

// "list, topology, calibrate, plan, run": the commands, in the table's order.
std::string command_names() {
  std::string names;
  for (const Command& c : commands()) names += (names.empty() ? "" : ", ") + c.name;
  return names;
}

// Each line of text, after prefix.
std::string indented(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  std::string out, line;
  while (std::getline(lines, line)) out += prefix + line + "\n";
  return out;
}

std::string exit_status_help() {
  std::string text = "exit status:\n";
  for (const auto& [status, meaning] : kExitStatusMeanings) {
    text += "  " + std::to_string(status) + "    " + meaning + "\n";
  }
  return text + "  130  stopped by SIGINT (143: SIGTERM); a sweep keeps every finished point\n";
}

// `lockbench --help`: every command, then what they share.
std::string overview_help() {
  std::string text = "usage: lockbench <command> [options]   (lockbench <command> --help)\n\n";
  text += "commands:\n";
  for (const Command& c : commands()) {
    for (const std::string& form : c.forms) text += "  " + form + "\n";
    text += indented(c.what, "      ");
  }
  text += std::string("\n") + kSelectionHelp + "\n" + kTopologySpecHelp;
  return text + "\n" + exit_status_help();
}

// `lockbench <command> --help`: how it is called, and the sections it uses.
std::string command_help(const Command& c) {
  std::string text;
  for (std::size_t i = 0; i < c.forms.size(); ++i) {
    text += (i == 0 ? "usage: lockbench " : "       lockbench ") + c.forms[i] + "\n";
  }
  text += '\n';
  text += indented(c.what, "  ");
  for (const char* section : c.sections) text += std::string("\n") + section;
  return text + '\n' + exit_status_help();
}

Options parse_options(const Command& c, const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      o.help = true;
      return o;
    } else if (a == "--json") {
      o.json = true;
    } else if (c.passes_gbench_flags && a.rfind("--benchmark_", 0) == 0) {
      o.gbench.push_back(a);
    } else if (std::count(c.value_flags.begin(), c.value_flags.end(), a)) {
      if (i + 1 >= args.size()) throw UsageError("option " + a + " needs a value");
      if (a == "--set") {
        o.sets.push_back(args[++i]);
      } else {
        o.values[a] = args[++i];
      }
    } else {
      throw UsageError("unknown option '" + a + "' for 'lockbench " + c.name + "'; see lockbench " +
                       c.name + " --help");
    }
  }
  return o;
}

int run_command(const std::vector<std::string>& args) {
  const auto& table = commands();
  const auto c = std::find_if(table.begin(), table.end(),
                              [&](const Command& command) { return command.name == args[0]; });
  if (c == table.end()) {
    throw UsageError("unknown command '" + args[0] + "'; allowed: " + command_names() +
                     " (lockbench --help)");
  }
  const Options o = parse_options(*c, args);
  if (o.help) {
    std::cout << command_help(*c);
    return kSuccess;
  }
  return c->run(o);
}

}  // namespace

int cli_main(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << overview_help();
    return args.empty() ? kBadUsage : kSuccess;
  }
  try {
    return run_command(args);
  } catch (const std::exception& e) {
    std::cerr << "lockbench: " << e.what() << "\n";
    return exit_status_of(e);
  }
}

}  // namespace lockbench
