// Where each thread of a point runs: a placement policy turned into one CPU
// (an OS PU index) per thread, planned on any topology, synthetic ones too.
#pragma once

#include <string>
#include <vector>

#include "harness/topology.h"

namespace lockbench {

enum class Policy {
  compact,      // fill a package (and each core's SMT siblings) before the next
  scatter,      // round-robin over packages, cores before SMT siblings
  numa,         // round-robin over NUMA nodes, cores before SMT siblings
  split,        // by role: role r's threads on package r, compact within it
  split_cores,  // by role: the PUs in compact order cut into one share per role
  interleave,   // by role: threads of the roles alternate over the PUs in compact order
  none,         // unpinned: the OS schedules, the analogue of a vCPU scheduler
  list,         // an explicit list of CPUs, taken in order
};

// What a thread does when the policy has fewer CPUs than there are threads.
enum class Overflow { wrap, unpinned };

struct PlacementSpec {
  Policy policy = Policy::none;
  bool smt = true;        // false: only the first PU of each core is used
  std::vector<int> cpus;  // Policy::list only

  // "compact", "scatter", "numa", "split", "split_cores", "interleave" or
  // "none", optionally with "+nosmt",
  // or "list:0,2,4-7". Throws std::invalid_argument naming what is allowed.
  static PlacementSpec parse(const std::string& text);
  std::string to_string() const;
};

inline constexpr int kUnpinned = -1;

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
