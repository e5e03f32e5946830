// Where each thread of a point runs: a placement policy turned into one CPU
// (an OS PU index) per thread, planned on any topology, synthetic ones too.
#pragma once

#include <string>
#include <vector>

#include "harness/measure/topology.h"

namespace lockbench {

// What a thread does when the policy has fewer CPUs than there are threads.
enum class Overflow { wrap, unpinned };

inline constexpr int kUnpinned = -1;

struct PlacementPolicy;
const PlacementPolicy* unpinned_policy();  // "none"

struct PlacementSpec {
  const PlacementPolicy* policy = unpinned_policy();
  bool smt = true;                          // false: only the first PU of each core is used
  std::vector<int> cpus;                    // a policy that takes_list only

  // A policy's name, optionally with "+nosmt" (not for "none"), or
  // "list:0,2,4-7". Throws std::invalid_argument naming what is allowed.
  static PlacementSpec parse(const std::string& text);
  std::string to_string() const;
};

// What a policy plans from.
struct PlanRequest {
  const Topology& topology;
  const std::vector<Pu>& pus;  // the usable PUs in hwloc order (one per core with +nosmt)
  int threads;
  Overflow overflow;
  const std::vector<int>& roles;  // a role index per thread, or empty: all role 0
  const PlacementSpec& spec;
};

// A placement policy: its name in configs, what it does, and its planner,
// which gives one CPU (OS index) or kUnpinned per thread, or throws
// std::invalid_argument when the topology cannot satisfy it. A new policy is
// one entry in placement_policies() (placement.cc) and its planner.
struct PlacementPolicy {
  const char* name;
  const char* description;
  std::vector<int> (*plan)(const PlanRequest&);
  bool pins = true;         // false: threads run unpinned (so no +nosmt)
  bool takes_list = false;  // written "name:CPUS"
};

const std::vector<PlacementPolicy>& placement_policies();

// One entry per thread: the OS index of its CPU, or kUnpinned. roles holds a
// role index per thread (empty: all threads share role 0); only the by-role
// policies read it. Throws std::invalid_argument when the topology cannot
// satisfy the spec (split on one package, split_cores with fewer PUs than
// roles, a listed CPU that does not exist).
std::vector<int> plan_cpus(const Topology& topology, const PlacementSpec& spec, int threads,
                           Overflow overflow, const std::vector<int>& roles = {});

// More threads than the CPUs they may run on (the distinct CPUs they are
// pinned to, or every PU when any thread is unpinned): the scheduler then
// decides who runs as much as the lock does.
bool oversubscribed(const Topology& topology, const std::vector<int>& cpus);

Overflow parse_overflow(const std::string& text);
const char* to_string(Overflow overflow);

}  // namespace lockbench
