#include "harness/measure/memory_home.h"

#include <algorithm>
#include <stdexcept>

#include "harness/measure/placement.h"

namespace lockbench {

MemoryHome MemoryHome::parse(const std::string& text) {
  MemoryHome home;
  if (text == "first") return home;
  if (text == "far") {
    home.kind = Kind::far;
    return home;
  }
  if (text == "interleave") {
    home.kind = Kind::interleave;
    return home;
  }
  const std::string prefix = "node:";
  if (text.rfind(prefix, 0) == 0 && text.size() > prefix.size() &&
      text.size() <= prefix.size() + 5 &&
      std::all_of(text.begin() + static_cast<long>(prefix.size()), text.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    home.kind = Kind::node;
    home.node = std::stoi(text.substr(prefix.size()));
    return home;
  }
  throw std::invalid_argument("home '" + text + "' is not allowed; allowed: " + kAllowed);
}

std::string MemoryHome::to_string() const {
  switch (kind) {
    case Kind::first:
      return "first";
    case Kind::node:
      return "node:" + std::to_string(node);
    case Kind::far:
      return "far";
    case Kind::interleave:
      return "interleave";
  }
  return "first";
}

MemoryBinding resolve_home(const Topology& topology, const MemoryHome& home,
                           const std::vector<int>& cpus) {
  const std::vector<int> nodes = topology.numa_node_os_indices();
  MemoryBinding binding;
  // With one node every page is on it: the homes that exist here are that
  // node, and nothing is bound (a kernel or emulator without NUMA calls,
  // such as qemu-user, runs them too).
  const bool one_node = nodes.size() == 1;
  switch (home.kind) {
    case MemoryHome::Kind::first:
      if (!one_node && !cpus.empty() && cpus.front() != kUnpinned) {
        const std::vector<int> local = topology.numa_nodes_local_to(cpus.front());
        if (!local.empty()) {
          binding.policy = MemoryBinding::Policy::bind;
          binding.nodes = {local.front()};
        }
      }
      return binding;
    case MemoryHome::Kind::node:
      if (std::find(nodes.begin(), nodes.end(), home.node) == nodes.end()) {
        std::string allowed;
        for (int n : nodes) allowed += (allowed.empty() ? "node:" : ", node:") + std::to_string(n);
        throw std::invalid_argument("home 'node:" + std::to_string(home.node) +
                                    "': the topology (" + topology.summary() +
                                    ") has no such NUMA node; allowed: " + allowed);
      }
      binding.policy = one_node ? MemoryBinding::Policy::os_choice : MemoryBinding::Policy::bind;
      binding.nodes = {home.node};
      return binding;
    case MemoryHome::Kind::far: {
      const bool unpinned = std::count(cpus.begin(), cpus.end(), kUnpinned) > 0;
      std::vector<int> used;
      for (int cpu : cpus) {
        if (cpu == kUnpinned) continue;
        for (int n : topology.numa_nodes_local_to(cpu)) used.push_back(n);
      }
      // The last free node: on boxes numbered by distance from node 0
      // (most), the farthest from a compact point's first threads.
      for (auto n = nodes.rbegin(); n != nodes.rend() && !unpinned; ++n) {
        if (std::find(used.begin(), used.end(), *n) == used.end()) {
          binding.policy = MemoryBinding::Policy::bind;
          binding.nodes = {*n};
          return binding;
        }
      }
      throw std::invalid_argument(
          "home 'far': no NUMA node of the topology (" + topology.summary() +
          ") is free of the "
          "point's threads" +
          std::string(unpinned ? " (unpinned threads may run on any)" : "") +
          "; allowed: a pinned placement that leaves a NUMA node without threads, or another "
          "home");
    }
    case MemoryHome::Kind::interleave:
      binding.policy =
          one_node ? MemoryBinding::Policy::os_choice : MemoryBinding::Policy::interleave;
      binding.nodes = nodes;
      return binding;
  }
  return binding;
}

}  // namespace lockbench
