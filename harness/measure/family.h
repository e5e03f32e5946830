// A family: one contention case modelled in several variants (the old global
// lock design, the scalable fix, references, a deliberately broken one) over
// the same workload. The harness sees families only through this interface;
// which families there are is benchmarks/families.h, one layer up.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "harness/measure/measured_loop.h"
#include "harness/measure/thread_context.h"

namespace lockbench {

// What a variant is to its family: the old global-lock design, the scalable
// fix, a reference to compare with, or deliberately broken (off by default:
// it shows that the invariant checks can fail).
enum class VariantKind { global, scalable, reference, broken };
const char* to_string(VariantKind kind);

class Workload;

// Parameter values of one point, by name, every parameter present.
using Params = nlohmann::json;

// Builds a variant's workload for one point from the point's parameters and
// each thread's role (an index into FamilyInfo::role_names).
using MakeWorkload =
    std::function<std::unique_ptr<Workload>(const Params& params, const std::vector<int>& roles)>;

struct VariantInfo {
  std::string name;
  VariantKind kind;
  std::string summary;
  MakeWorkload make;
  // Parameter values that replace the family defaults and a config's values
  // whenever this variant runs (a --set still wins). A broken variant carries
  // the ones that provoke its violation within seconds, so selecting it shows
  // the checks at work without knowing the recipe.
  nlohmann::json overrides = nlohmann::json::object();
};

// A parameter a sweep can vary. Values are JSON numbers (integer or real) or,
// with choices, strings; min/max bound numbers.
struct ParamInfo {
  // ratio: "P:C", two non-negative integers (C > 0), e.g. producers:consumers.
  enum class Kind { integer, real, choice, ratio };
  std::string name;
  Kind kind;
  nlohmann::json default_value;
  double min = 0;
  double max = 0;
  std::vector<std::string> choices = {};
  std::string help;
};

// A stretch of memory: where a point's shared state is.
struct MemoryRegion {
  const void* start;
  std::size_t bytes;
};

// One run of one point: the state the threads share, the operation each
// thread repeats, and the checks made at quiescence.
class Workload {
 public:
  virtual ~Workload() = default;
  // Called once on each thread, pinned, before the team starts: per-thread
  // state made here (ThreadSlots::make) is first touched on the thread's own
  // NUMA node, as per-CPU data is in the modelled system.
  virtual void setup_thread(ThreadContext&) {}
  // The thread's steps through warm-up and the window, until `phase` says
  // stop (harness/measure/measured_loop.h); LoopedWorkload implements it.
  virtual void run(ThreadContext& ctx, const std::atomic<int>& phase) = 0;
  // Called once per thread after every thread has finished its last
  // operation, before the invariant check (for families that must drain
  // queues).
  virtual void drain(ThreadContext&) {}
  // Checked single-threaded at quiescence. Returns "" when every invariant
  // holds, or what was violated.
  virtual std::string check_invariants(const std::vector<ThreadContext*>& threads) = 0;
  // Family figures derived from the per-thread counters (ratios and the like),
  // added to the raw counter totals.
  virtual void derive_counters(const std::vector<ThreadContext*>&, double /*seconds*/,
                               nlohmann::json&) {}
  // The memory of the state the threads share, which a point's home places
  // and each repetition's record locates: the workload object, which holds
  // the locks, list heads and lock words inline. What it allocates besides
  // is placed by the same memory policy as it is built (run_point.cc);
  // per-thread state (ThreadSlots) is not shared.
  virtual MemoryRegion shared_memory() const = 0;
};

// The base of every family's workload. Derived provides
//   std::uint64_t operation(ThreadContext& ctx);
// one step of one thread, which returns the operations it completed (what
// throughput counts: a step of a consumer may find nothing to do, a
// producer's steps may count nothing). The harness's loop is compiled here,
// with Derived, so each step is a direct call the compiler can inline
// (measured_loop.h keeps it to one call site).
//
// The loop starts on a cache line of its own (kCodeAlignment): where a spin
// loop falls relative to 32- and 64-byte fetch blocks moved a 2-thread
// ticket lock's throughput by 30% on the 2-vCPU VM when unrelated harness
// code grew, so a number must not depend on where the linker put the loop.
inline constexpr int kCodeAlignment = 64;

template <typename Derived>
class LoopedWorkload : public Workload {
 public:
  [[gnu::aligned(kCodeAlignment)]] void run(ThreadContext& ctx,
                                            const std::atomic<int>& phase) final {
    run_measured_loop(ctx, phase,
                      [this](ThreadContext& c) { return static_cast<Derived*>(this)->operation(c); });
  }
  MemoryRegion shared_memory() const final {
    return {static_cast<const Derived*>(this), sizeof(Derived)};
  }
};

// The MakeWorkload of a variant that workload W runs. read_setup turns a
// point's parameters and roles into W's constructor arguments (a tuple); a
// family has one read_setup for all its variants, so a variant is named once,
// in its VariantInfo: {.name = "global", ..., .make = make_workload_of<W, read_setup>}.
template <typename W, auto read_setup>
std::unique_ptr<Workload> make_workload_of(const Params& params, const std::vector<int>& roles) {
  return std::apply([](auto&&... args) { return std::make_unique<W>(std::move(args)...); },
                    read_setup(params, roles));
}

// A figure the report draws for a family: one of its counters over threads.
struct CounterFigure {
  enum class Scale {
    per_second,  // a total over the window, drawn per second of it
    as_is,       // already a rate, a ratio or a time
  };
  std::string counter;  // a counter_names or derived_counter_names entry
  std::string label;    // the axis label, with its unit
  Scale scale = Scale::per_second;
};

// What the report needs to tell a family's story; written into the results
// (context.lockbench.families) and `lockbench list --json`, so the report
// layer holds no table of its own.
struct ReportInfo {
  std::string operation;  // what throughput counts, plural ("lock acquisitions")
  std::vector<CounterFigure> figures = {};
  // Each operation is one acquisition of one lock, so the machine's
  // cache-line hand-off bounds throughput at 2+ threads (drawn on the figure).
  bool handoff_bound = false;
};

// What a family declares about itself: the harness plans, validates and
// reports from this alone.
struct FamilyInfo {
  std::string name;
  std::string summary;
  std::vector<VariantInfo> variants;
  std::vector<ParamInfo> params;
  // Names of the ThreadContext counters and lock classes the family fills, by
  // index.
  std::vector<std::string> counter_names;
  std::vector<std::string> lock_classes;
  // Thread roles; families without producers and consumers have one.
  // Role 0 is the one whose operations throughput and fairness count.
  std::vector<std::string> role_names = {"thread"};
  // Figures Workload::derive_counters adds (rates, ratios, percentiles).
  std::vector<std::string> derived_counter_names = {};
  ReportInfo report = {};
};

// A family's counter or lock class names from the enum its workload records
// under: each name beside its enumerator, in order, ending at `end` (the
// enum's count). Refused (std::logic_error, at registration) when out of
// order or short, so an index and the name the results show cannot drift.
template <typename Enum>
std::vector<std::string> names_by_index(Enum end,
                                        std::initializer_list<std::pair<Enum, const char*>> names) {
  std::vector<std::string> out;
  for (const auto& [value, name] : names) {
    if (static_cast<std::size_t>(value) != out.size()) {
      throw std::logic_error(std::string("'") + name + "' is named at index " +
                             std::to_string(out.size()) + ", but its enumerator is " +
                             std::to_string(static_cast<int>(value)));
    }
    out.push_back(name);
  }
  if (out.size() != static_cast<std::size_t>(end)) {
    throw std::logic_error(std::to_string(out.size()) + " names for " +
                           std::to_string(static_cast<int>(end)) + " enumerators");
  }
  return out;
}

// The family as `lockbench list --json` and the results' context describe it.
nlohmann::json family_json(const FamilyInfo& info);

class Family {
 public:
  // Throws std::logic_error when the family declares more than a
  // ThreadContext holds (counters, lock classes), a name twice, or overrides
  // of parameters it does not have.
  explicit Family(FamilyInfo info);
  virtual ~Family() = default;

  const FamilyInfo& info() const { return info_; }
  const std::string& name() const { return info_.name; }
  const VariantInfo* find_variant(const std::string& name) const;
  const ParamInfo* find_param(const std::string& name) const;

  // Role of each thread (an index into role_names); all threads share role 0
  // unless the family has producers and consumers.
  virtual std::vector<int> assign_roles(const Params&, int threads) const {
    return std::vector<int>(static_cast<std::size_t>(threads), 0);
  }
  // Throws std::invalid_argument, naming the parameter, its value and what is
  // allowed, when params cannot run with these roles (checks that depend on
  // the thread count; each parameter's own range is checked from ParamInfo).
  virtual void check_point(const Params&, const std::vector<int>& /*roles*/) const {}
  // Bytes the workload allocates, estimated from its parameters, for the
  // memory check before a sweep runs (0: small whatever the parameters).
  virtual std::uint64_t memory_bytes(const Params&, const std::vector<int>& /*roles*/) const {
    return 0;
  }
  // The named variant's workload (VariantInfo::make); roles: one per thread,
  // as assign_roles gave them. Throws std::invalid_argument for a variant the
  // family does not have.
  std::unique_ptr<Workload> make_workload(const std::string& variant, const Params& params,
                                          const std::vector<int>& roles) const;

 private:
  FamilyInfo info_;
};

// "P:C" as two integers, P >= 0 and C > 0; nullopt if the text is not one.
std::optional<std::pair<int, int>> parse_ratio(const std::string& text);

// Roles for a producer:consumer ratio over `threads`: consumers (role 0)
// first, then producers (role 1), split in proportion; at least one consumer,
// and at least one producer when P > 0. Throws std::invalid_argument when
// P > 0 and one thread cannot be both: such a point would measure nothing.
std::vector<int> roles_from_ratio(std::pair<int, int> ratio, int threads);

}  // namespace lockbench
