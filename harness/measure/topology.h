// The machine as hwloc sees it: this system, an hwloc synthetic description
// ("synthetic:pack:2 core:8 pu:2") or an exported hwloc XML file. Placement
// plans against any of them; only this system's topology can bind threads.
#pragma once

#include <hwloc.h>
#include <pthread.h>

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lockbench {

struct MemoryBinding;  // memory_home.h

// One processing unit (hardware thread) with where it sits.
struct Pu {
  int os_index;   // the CPU number the OS uses (what binding and `cpus` record)
  int package;    // logical index of its package
  int numa_node;  // logical index of its first NUMA node
  int core;       // logical index of its core
  int smt_rank;   // 0 for the first PU of its core, 1 for its sibling, ...
};

// A thread count at which a compact placement (hwloc's logical order, one
// PU after the next) has just filled one more level of the machine: one
// core's SMT siblings, one shared cache or cluster, one NUMA node, one
// package; and the counts of its cores and of its PUs. Curves bend there.
struct Boundary {
  int threads;
  std::string what;  // "one L3 cache, one NUMA node"
};

// What a thread count is on the machine, "" when no boundary.
std::string boundary_at(const std::vector<Boundary>& boundaries, int threads);

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
  // Ascending, one entry per count (levels of the same size share it), from
  // the levels above the first PU; levels of one PU (a core without SMT, a
  // core's private caches) are no boundary.
  std::vector<Boundary> compact_boundaries() const;
  // Smallest data cache line size hwloc reports; 0 if it reports none.
  int cache_line_size() const;

  // The CPU model string hwloc reports for the first package, or "unknown".
  std::string cpu_model() const;

  // "1 package, 1 NUMA node, 2 cores, 2 PUs"
  std::string summary() const;
  // Packages, NUMA nodes, cores, PUs and caches, as JSON.
  nlohmann::json describe() const;

  // OS indices of the NUMA nodes, ascending; those local to a CPU (OS
  // index): one, or several where a package has memories of two kinds (a
  // KNL's DDR and MCDRAM); empty for a CPU the topology does not have.
  std::vector<int> numa_node_os_indices() const;
  std::vector<int> numa_nodes_local_to(int os_index) const;

  // Memory placement (this system only). Each returns "" or why hwloc
  // refused. The calling thread's policy for the pages it touches first
  // (policy os_choice: the OS's default again); then pages already touched
  // in [start, start + bytes), moved where the binding says.
  std::string set_thread_memory_policy(const MemoryBinding& binding) const;
  std::string move_area(const void* start, std::size_t bytes, const MemoryBinding& binding) const;
  // The NUMA nodes (OS indices) holding the pages of [start, start + bytes),
  // ascending; empty when the kernel cannot say.
  std::vector<int> memory_nodes_of(const void* start, std::size_t bytes) const;

  // Binds the calling thread, or another thread of this process, to the PU
  // with this OS index. Returns false (and binds nothing) if hwloc refuses.
  bool bind_this_thread(int os_index) const;
  bool bind_thread(pthread_t thread, int os_index) const;
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
