#include "harness/measure/placement.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace lockbench {

namespace {

std::string allowed_placements();

std::vector<int> parse_cpu_list(const std::string& text, const std::string& whole) {
  std::vector<int> cpus;
  std::stringstream items(text);
  std::string item;
  auto bad = [&] {
    return std::invalid_argument("placement '" + whole +
                                 "' has a bad CPU list; allowed: " + allowed_placements());
  };
  while (std::getline(items, item, ',')) {
    const auto dash = item.find('-');
    try {
      std::size_t used = 0;
      const int first = std::stoi(item.substr(0, dash), &used);
      if (used != item.substr(0, dash).size() || first < 0) throw bad();
      int last = first;
      if (dash != std::string::npos) {
        const std::string tail = item.substr(dash + 1);
        last = std::stoi(tail, &used);
        if (used != tail.size() || last < first) throw bad();
      }
      for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
    } catch (const std::logic_error&) {
      throw bad();
    }
  }
  if (cpus.empty()) throw bad();
  return cpus;
}

// PUs the policy may use, in the order a compact fill takes them.
std::vector<Pu> usable_pus(const Topology& topology, bool smt) {
  std::vector<Pu> pus;
  for (const Pu& pu : topology.pus()) {
    if (smt || pu.smt_rank == 0) pus.push_back(pu);
  }
  return pus;
}

// Round-robin over groups (packages or NUMA nodes); within a group, one PU per
// core first and SMT siblings after, so scatter spreads over cores too.
std::vector<int> round_robin(const std::vector<Pu>& pus, int Pu::*group) {
  std::map<int, std::vector<Pu>> groups;
  for (const Pu& pu : pus) groups[pu.*group].push_back(pu);
  for (auto& [id, members] : groups) {
    std::stable_sort(members.begin(), members.end(),
                     [](const Pu& a, const Pu& b) { return a.smt_rank < b.smt_rank; });
  }
  std::vector<int> order;
  for (std::size_t rank = 0; order.size() < pus.size(); ++rank) {
    for (const auto& [id, members] : groups) {
      if (rank < members.size()) order.push_back(members[rank].os_index);
    }
  }
  return order;
}

// The CPU of the i-th thread filling order: past its end, round again or
// unpinned.
int cpu_at(const std::vector<int>& order, std::size_t i, Overflow overflow) {
  if (i < order.size()) return order[i];
  return overflow == Overflow::wrap ? order[i % order.size()] : kUnpinned;
}

std::vector<int> fill(const std::vector<int>& order, int threads, Overflow overflow) {
  std::vector<int> cpus;
  for (int t = 0; t < threads; ++t)
    cpus.push_back(cpu_at(order, static_cast<std::size_t>(t), overflow));
  return cpus;
}

// Threads per role (roles empty: every thread has role 0).
std::vector<int> role_counts(const std::vector<int>& roles, int threads) {
  if (roles.empty()) return {threads};
  std::vector<int> counts(static_cast<std::size_t>(*std::max_element(roles.begin(), roles.end())) +
                          1);
  for (int r : roles) ++counts[static_cast<std::size_t>(r)];
  return counts;
}

int role_of(const std::vector<int>& roles, int thread) {
  return roles.empty() ? 0 : roles[static_cast<std::size_t>(thread)];
}

// Role r's threads on the r-th package (or NUMA node with CPUs: memory-only
// nodes take none), compact within it.
std::vector<int> split_by_role(const std::vector<Pu>& pus, int Pu::*level,
                               const std::string& policy, const std::string& level_name,
                               const Topology& topology, int threads, Overflow overflow,
                               const std::vector<int>& roles) {
  std::map<int, std::vector<int>> by_level;
  for (const Pu& pu : pus) by_level[pu.*level].push_back(pu.os_index);
  if (by_level.size() < 2) {
    throw std::invalid_argument("placement '" + policy + "' needs at least 2 " + level_name +
                                "s with CPUs; the topology has " + topology.summary());
  }
  std::vector<std::vector<int>> per_level;
  for (auto& [index, cpus] : by_level) per_level.push_back(std::move(cpus));
  std::vector<std::size_t> next(per_level.size(), 0);
  std::vector<int> cpus;
  for (int t = 0; t < threads; ++t) {
    const auto at = static_cast<std::size_t>(role_of(roles, t)) % per_level.size();
    cpus.push_back(cpu_at(per_level[at], next[at]++, overflow));
  }
  return cpus;
}

// Role r gets the r-th contiguous share of the compact order, sized in
// proportion to its threads (at least one PU), and wraps within it: on one
// package, producers and consumers on different cores.
std::vector<int> split_cores_by_role(const std::vector<Pu>& pus, int threads, Overflow overflow,
                                     const std::vector<int>& roles) {
  const std::vector<int> counts = role_counts(roles, threads);
  const int n = static_cast<int>(pus.size());
  const int role_count = static_cast<int>(counts.size());
  if (n < role_count) {
    throw std::invalid_argument(
        "placement 'split_cores' needs a PU per role: " + std::to_string(role_count) + " roles, " +
        std::to_string(n) + " usable PUs");
  }
  std::vector<std::vector<int>> shares(counts.size());
  int begin = 0, threads_before = 0;
  for (int r = 0; r < role_count; ++r) {
    threads_before += counts[static_cast<std::size_t>(r)];
    const int fair =
        static_cast<int>(std::lround(static_cast<double>(n) * threads_before / threads));
    const int end = r + 1 == role_count ? n : std::clamp(fair, begin + 1, n - (role_count - r - 1));
    for (int i = begin; i < end; ++i) {
      shares[static_cast<std::size_t>(r)].push_back(pus[static_cast<std::size_t>(i)].os_index);
    }
    begin = end;
  }
  std::vector<std::size_t> next(counts.size(), 0);
  std::vector<int> cpus;
  for (int t = 0; t < threads; ++t) {
    const auto r = static_cast<std::size_t>(role_of(roles, t));
    cpus.push_back(cpu_at(shares[r], next[r]++, overflow));
  }
  return cpus;
}

// Threads taken role by role in turn (the first of role 0, the first of role
// 1, ..., the second of role 0, ...) fill the compact order: a producer next
// to a consumer, on SMT siblings where the box has them. Where the roles
// would land on the same PUs again in the next round of PUs (as many PUs as
// a multiple of the roles), each round starts with the next role, so that an
// oversubscribed PU hosts every role.
std::vector<int> interleave_by_role(const std::vector<Pu>& pus, int threads, Overflow overflow,
                                    const std::vector<int>& roles) {
  const std::vector<int> counts = role_counts(roles, threads);
  const std::size_t role_count = counts.size();
  std::vector<std::vector<int>> members(role_count);
  for (int t = threads - 1; t >= 0; --t) {
    members[static_cast<std::size_t>(role_of(roles, t))].push_back(t);  // last first: pop_back
  }
  std::vector<int> order;
  for (const Pu& pu : pus) order.push_back(pu.os_index);
  const bool rotate = order.size() % role_count == 0;
  std::vector<int> cpus(static_cast<std::size_t>(threads));
  for (std::size_t slot = 0; slot < static_cast<std::size_t>(threads); ++slot) {
    std::size_t role = (slot + (rotate ? slot / order.size() : 0)) % role_count;
    while (members[role].empty()) role = (role + 1) % role_count;
    cpus[static_cast<std::size_t>(members[role].back())] = cpu_at(order, slot, overflow);
    members[role].pop_back();
  }
  return cpus;
}

std::vector<int> plan_compact(const PlanRequest& r) {
  std::vector<int> order;
  for (const Pu& pu : r.pus) order.push_back(pu.os_index);
  return fill(order, r.threads, r.overflow);
}

std::vector<int> plan_scatter(const PlanRequest& r) {
  return fill(round_robin(r.pus, &Pu::package), r.threads, r.overflow);
}

std::vector<int> plan_numa(const PlanRequest& r) {
  return fill(round_robin(r.pus, &Pu::numa_node), r.threads, r.overflow);
}

std::vector<int> plan_split(const PlanRequest& r) {
  return split_by_role(r.pus, &Pu::package, "split", "package", r.topology, r.threads, r.overflow,
                       r.roles);
}

std::vector<int> plan_split_numa(const PlanRequest& r) {
  return split_by_role(r.pus, &Pu::numa_node, "split_numa", "NUMA node", r.topology, r.threads,
                       r.overflow, r.roles);
}

std::vector<int> plan_split_cores(const PlanRequest& r) {
  return split_cores_by_role(r.pus, r.threads, r.overflow, r.roles);
}

std::vector<int> plan_interleave(const PlanRequest& r) {
  return interleave_by_role(r.pus, r.threads, r.overflow, r.roles);
}

std::vector<int> plan_unpinned(const PlanRequest& r) {
  return std::vector<int>(static_cast<std::size_t>(r.threads), kUnpinned);
}

std::vector<int> plan_list(const PlanRequest& r) {
  for (int cpu : r.spec.cpus) {
    const bool exists = std::any_of(r.pus.begin(), r.pus.end(),
                                    [cpu](const Pu& pu) { return pu.os_index == cpu; });
    if (!exists) {
      throw std::invalid_argument("placement '" + r.spec.to_string() + "' names CPU " +
                                  std::to_string(cpu) + ", which the topology (" +
                                  r.topology.summary() + ") does not have");
    }
  }
  return fill(r.spec.cpus, r.threads, r.overflow);
}

std::string allowed_placements() {
  std::string names;
  for (const PlacementPolicy& p : placement_policies()) {
    if (!p.takes_list) names += std::string(p.name) + ", ";
  }
  names.resize(names.size() - 2);
  return names + " (each optionally with +nosmt, but none), or list:CPUS (e.g. list:0,2,4-7)";
}

}  // namespace

const std::vector<PlacementPolicy>& placement_policies() {
  static const std::vector<PlacementPolicy> policies = {
      {"compact", "fill a package (and each core's SMT siblings) before the next", plan_compact},
      {"scatter", "round-robin over packages, cores before SMT siblings", plan_scatter},
      {"numa", "round-robin over NUMA nodes, cores before SMT siblings", plan_numa},
      {"split", "by role: role r's threads on package r, compact within it", plan_split},
      {"split_numa",
       "by role: role r's threads on NUMA node r, compact within it (one package with several "
       "nodes: AMD NPS, Intel SNC)",
       plan_split_numa},
      {"split_cores", "by role: the PUs in compact order cut into one share per role",
       plan_split_cores},
      {"interleave", "by role: the roles' threads alternate over the PUs in compact order",
       plan_interleave},
      {"none", "unpinned: the OS schedules, the analogue of a vCPU scheduler", plan_unpinned,
       /*pins=*/false},
      {"list", "an explicit list of CPUs, taken in order", plan_list, /*pins=*/true,
       /*takes_list=*/true},
  };
  return policies;
}

const PlacementPolicy* unpinned_policy() {
  static const PlacementPolicy* none = &*std::find_if(
      placement_policies().begin(), placement_policies().end(),
      [](const PlacementPolicy& p) { return !p.pins; });
  return none;
}

PlacementSpec PlacementSpec::parse(const std::string& text) {
  PlacementSpec spec;
  const std::vector<PlacementPolicy>& policies = placement_policies();
  for (const PlacementPolicy& p : policies) {
    const std::string prefix = std::string(p.name) + ":";
    if (p.takes_list && text.rfind(prefix, 0) == 0) {
      spec.policy = &p;
      spec.cpus = parse_cpu_list(text.substr(prefix.size()), text);
      return spec;
    }
  }
  std::string name = text;
  const std::string nosmt = "+nosmt";
  if (name.size() > nosmt.size() &&
      name.compare(name.size() - nosmt.size(), nosmt.size(), nosmt) == 0) {
    spec.smt = false;
    name.resize(name.size() - nosmt.size());
  }
  const auto it = std::find_if(policies.begin(), policies.end(), [&](const PlacementPolicy& p) {
    return !p.takes_list && name == p.name;
  });
  if (it == policies.end() || (!it->pins && !spec.smt)) {
    throw std::invalid_argument("placement '" + text + "' is unknown; allowed: " +
                                allowed_placements());
  }
  spec.policy = &*it;
  return spec;
}

std::string PlacementSpec::to_string() const {
  if (policy->takes_list) {
    std::string text = std::string(policy->name) + ":";
    for (std::size_t i = 0; i < cpus.size(); ++i) {
      if (i) text += ',';
      text += std::to_string(cpus[i]);
    }
    return text;
  }
  return policy->name + std::string(smt ? "" : "+nosmt");
}

std::vector<int> plan_cpus(const Topology& topology, const PlacementSpec& spec, int threads,
                           Overflow overflow, const std::vector<int>& roles) {
  if (!roles.empty() && roles.size() != static_cast<std::size_t>(threads)) {
    throw std::invalid_argument("placement: " + std::to_string(roles.size()) + " roles for " +
                                std::to_string(threads) + " threads");
  }
  if (spec.policy->takes_list && spec.cpus.empty()) {
    throw std::invalid_argument("placement '" + spec.to_string() + "' names no CPU");
  }
  const std::vector<Pu> pus = usable_pus(topology, spec.smt);
  return spec.policy->plan({topology, pus, threads, overflow, roles, spec});
}

bool oversubscribed(const Topology& topology, const std::vector<int>& cpus) {
  const std::set<int> distinct(cpus.begin(), cpus.end());
  const std::size_t available = distinct.count(kUnpinned) ? topology.pus().size() : distinct.size();
  return cpus.size() > available;
}

Overflow parse_overflow(const std::string& text) {
  if (text == "wrap") return Overflow::wrap;
  if (text == "unpinned") return Overflow::unpinned;
  throw std::invalid_argument("overflow '" + text + "' is unknown; allowed: wrap, unpinned");
}

const char* to_string(Overflow overflow) {
  return overflow == Overflow::wrap ? "wrap" : "unpinned";
}

}  // namespace lockbench
