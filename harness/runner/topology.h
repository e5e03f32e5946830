// The machine as hwloc sees it: this system, an hwloc synthetic description
// ("synthetic:pack:2 core:8 pu:2") or an exported hwloc XML file. Placement
// plans against any of them; only this system's topology can bind threads.
#pragma once

#include <hwloc.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lockbench {

// One processing unit (hardware thread) with where it sits.
struct Pu {
  int os_index;   // the CPU number the OS uses (what binding and `cpus` record)
  int package;    // logical index of its package
  int numa_node;  // logical index of its first NUMA node
  int core;       // logical index of its core
  int smt_rank;   // 0 for the first PU of its core, 1 for its sibling, ...
};

// The most PUs a topology may have: 8 times the most threads a sweep runs
// (8192), so every real machine loads, and a description off by orders of
// magnitude is refused before hwloc spends minutes on it.
inline constexpr int kMaxPus = 65536;

// The PUs an hwloc synthetic description makes, from its arities ("pack:2
// core:8 pu:2" -> 32; attributes in parentheses and memory children left
// out), counted before hwloc builds the objects, which for a billion PUs
// takes minutes and gigabytes. 0 when it cannot tell: hwloc then says why.
double synthetic_pu_count(const std::string& description);

class Topology {
 public:
  // spec: "" for this machine, "synthetic:<hwloc synthetic description>", or
  // the path of an hwloc XML file. Throws std::invalid_argument naming the
  // spec and what is allowed when hwloc cannot load it, or when it has no PU
  // or more than kMaxPus.
  static Topology load(const std::string& spec);

  Topology(Topology&& other) noexcept;
  Topology& operator=(Topology&& other) noexcept;
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;
  ~Topology();

  bool is_this_system() const;
  const std::string& spec() const { return spec_; }
  int packages() const { return count(HWLOC_OBJ_PACKAGE); }
  int numa_nodes() const { return count(HWLOC_OBJ_NUMANODE); }
  int cores() const { return count(HWLOC_OBJ_CORE); }
  // In hwloc's logical order, which fills a package before the next.
  const std::vector<Pu>& pus() const { return pus_; }
  // Smallest data cache line size hwloc reports; 0 if it reports none.
  int cache_line_size() const;

  // The CPU model string hwloc reports for the first package, or "unknown".
  std::string cpu_model() const;

  // "1 package, 1 NUMA node, 2 cores, 2 PUs"
  std::string summary() const;
  // Packages, NUMA nodes, cores, PUs and caches, as JSON.
  nlohmann::json describe() const;

  // Binds the calling thread to the PU with this OS index.
  // Returns false (and binds nothing) if hwloc refuses.
  bool bind_this_thread(int os_index) const;
  // The PU the calling thread last ran on, or -1 if unknown.
  int last_cpu_of_this_thread() const;

 private:
  explicit Topology(hwloc_topology_t handle, std::string spec);
  int count(hwloc_obj_type_t type) const;

  hwloc_topology_t handle_ = nullptr;
  std::string spec_;
  std::vector<Pu> pus_;
};

}  // namespace lockbench
