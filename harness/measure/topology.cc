#include "harness/measure/topology.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "harness/measure/memory_home.h"

namespace lockbench {

namespace {

int logical_ancestor(hwloc_topology_t topo, hwloc_obj_t pu, hwloc_obj_type_t type) {
  hwloc_obj_t obj = hwloc_get_ancestor_obj_by_type(topo, type, pu);
  return obj ? static_cast<int>(obj->logical_index) : 0;
}

// The first NUMA node whose memory is local to the PU. NUMA nodes are memory
// children in hwloc 2, so they are not ancestors of a PU.
int numa_node_of(hwloc_topology_t topo, hwloc_obj_t pu) {
  hwloc_obj_t node = nullptr;
  while ((node = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, node)) != nullptr) {
    if (hwloc_bitmap_isset(node->cpuset, pu->os_index))
      return static_cast<int>(node->logical_index);
  }
  return 0;
}

// A PU's SMT sibling number: its rank among its core's PUs, which are
// consecutive in logical order. Not its rank among its parent's children: a
// cache private to one PU may sit between the two (qemu's x86 guests give
// each hardware thread its own L1).
int smt_rank_of(hwloc_topology_t topo, hwloc_obj_t core, hwloc_obj_t pu) {
  if (!core) return 0;
  hwloc_obj_t first = hwloc_get_obj_inside_cpuset_by_type(topo, core->cpuset, HWLOC_OBJ_PU, 0);
  return static_cast<int>(pu->logical_index - first->logical_index);
}

std::vector<Pu> list_pus(hwloc_topology_t topo) {
  std::vector<Pu> pus;
  const int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  for (int i = 0; i < n; ++i) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, static_cast<unsigned>(i));
    hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu);
    pus.push_back(Pu{static_cast<int>(pu->os_index), logical_ancestor(topo, pu, HWLOC_OBJ_PACKAGE),
                     numa_node_of(topo, pu), core ? static_cast<int>(core->logical_index) : i,
                     smt_rank_of(topo, core, pu)});
  }
  return pus;
}

// hwloc says why an XML file or a synthetic description cannot be loaded
// ("cannot import XML version 3.0 > 2") only on stderr, and only when asked
// to be verbose. While alive, this asks it to be and keeps what it writes.
class HwlocMessages {
 public:
  HwlocMessages() {
    setenv("HWLOC_XML_VERBOSE", "1", 0);
    setenv("HWLOC_SYNTHETIC_VERBOSE", "1", 0);
    std::fflush(stderr);
    saved_stderr_ = dup(STDERR_FILENO);
    capture_ = memfd_create("hwloc-messages", 0);
    if (saved_stderr_ >= 0 && capture_ >= 0) dup2(capture_, STDERR_FILENO);
  }
  ~HwlocMessages() { restore(); }
  HwlocMessages(const HwlocMessages&) = delete;
  HwlocMessages& operator=(const HwlocMessages&) = delete;

  // What hwloc wrote, on one line; stderr is stderr again.
  std::string text() {
    restore();
    std::string text;
    if (capture_ < 0) return text;
    char buffer[4096];
    ssize_t n;
    lseek(capture_, 0, SEEK_SET);
    while ((n = read(capture_, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
    for (char& c : text) c = c == '\n' ? ' ' : c;
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text;
  }

 private:
  void restore() {
    if (saved_stderr_ < 0) return;
    std::fflush(stderr);
    dup2(saved_stderr_, STDERR_FILENO);
    close(saved_stderr_);
    saved_stderr_ = -1;
  }

  int saved_stderr_ = -1;
  int capture_ = -1;
};

void check_pu_count(const std::string& spec, double pus) {
  if (pus >= 1 && pus <= kMaxPus) return;
  char count[32];
  std::snprintf(count, sizeof count, "%.0f", pus);
  throw std::invalid_argument("topology '" + spec + "' has " + count +
                              " PUs; allowed: 1 to " + std::to_string(kMaxPus) +
                              " PUs (a sweep runs at most 8192 threads)");
}

}  // namespace

double synthetic_pu_count(const std::string& description) {
  std::string plain;
  int depth = 0;
  for (char c : description) {
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    if (depth == 0 && c != ')') plain += c;
  }
  double pus = 1;
  bool any = false;
  std::istringstream tokens(plain);
  std::string token;
  while (tokens >> token) {
    if (token[0] == '[') continue;  // a memory child ("[numa]"): no arity
    const std::size_t colon = token.rfind(':');
    const std::string arity = colon == std::string::npos ? token : token.substr(colon + 1);
    // As hwloc reads it: decimal, 0x hexadecimal or 0 octal.
    char* end = nullptr;
    const unsigned long long n = std::strtoull(arity.c_str(), &end, 0);
    if (arity.empty() || arity[0] == '-' || *end != '\0') return 0;  // hwloc says why
    pus *= static_cast<double>(n);
    any = true;
  }
  return any ? pus : 0;
}

Topology Topology::load(const std::string& spec) {
  hwloc_topology_t handle;
  if (hwloc_topology_init(&handle) != 0) throw std::runtime_error("hwloc_topology_init failed");
  const std::string synthetic_prefix = "synthetic:";
  HwlocMessages messages;
  int rc = 0;
  if (spec.rfind(synthetic_prefix, 0) == 0) {
    const std::string description = spec.substr(synthetic_prefix.size());
    if (const double pus = synthetic_pu_count(description); pus > kMaxPus) {
      hwloc_topology_destroy(handle);
      check_pu_count(spec, pus);
    }
    rc = hwloc_topology_set_synthetic(handle, description.c_str());
  } else if (!spec.empty()) {
    rc = hwloc_topology_set_xml(handle, spec.c_str());
  }
  if (rc == 0) rc = hwloc_topology_load(handle);
  const int error = errno;
  const std::string said = messages.text();
  if (rc != 0) {
    hwloc_topology_destroy(handle);
    throw std::invalid_argument(
        "topology '" + spec + "' cannot be loaded: hwloc says \"" +
        (said.empty() ? std::string(std::strerror(error)) : said) +
        "\"; allowed: 'synthetic:<hwloc synthetic description>' "
        "(e.g. 'synthetic:pack:2 core:8 pu:2') or the path of an hwloc XML file "
        "(lstopo --of xml) that this hwloc (" HWLOC_VERSION ") can import");
  }
  // Loaded: what verbose hwloc said is information ("Inserting a NUMA level
  // ..."), not a reason. An XML file can describe a box with no PU at all.
  Topology topology(handle, spec);
  check_pu_count(spec.empty() ? "this machine" : spec, static_cast<double>(topology.pus().size()));
  return topology;
}

Topology::Topology(hwloc_topology_t handle, std::string spec)
    : handle_(handle), spec_(std::move(spec)), pus_(list_pus(handle)) {}

Topology::Topology(Topology&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)),
      spec_(std::move(other.spec_)),
      pus_(std::move(other.pus_)) {}

Topology& Topology::operator=(Topology&& other) noexcept {
  std::swap(handle_, other.handle_);
  std::swap(spec_, other.spec_);
  std::swap(pus_, other.pus_);
  return *this;
}

Topology::~Topology() {
  if (handle_) hwloc_topology_destroy(handle_);
}

bool Topology::is_this_system() const { return hwloc_topology_is_thissystem(handle_) != 0; }

int Topology::count(hwloc_obj_type_t type) const { return hwloc_get_nbobjs_by_type(handle_, type); }

int Topology::cache_line_size() const {
  int line = 0;
  for (hwloc_obj_type_t type : {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE}) {
    hwloc_obj_t cache = hwloc_get_obj_by_type(handle_, type, 0);
    if (cache && cache->attr && cache->attr->cache.linesize > 0) {
      const int size = static_cast<int>(cache->attr->cache.linesize);
      if (line == 0 || size < line) line = size;
    }
  }
  return line;
}

std::string Topology::cpu_model() const {
  hwloc_obj_t package = hwloc_get_obj_by_type(handle_, HWLOC_OBJ_PACKAGE, 0);
  const char* model = package ? hwloc_obj_get_info_by_name(package, "CPUModel") : nullptr;
  return model ? model : "unknown";
}

static std::string plural(int n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string Topology::summary() const {
  return plural(packages(), "package") + ", " + plural(numa_nodes(), "NUMA node") + ", " +
         plural(cores(), "core") + ", " + plural(static_cast<int>(pus_.size()), "PU");
}

std::string boundary_at(const std::vector<Boundary>& boundaries, int threads) {
  for (const Boundary& b : boundaries) {
    if (b.threads == threads) return b.what;
  }
  return "";
}

namespace {

// What a level above a PU is called in a boundary, "" for levels that are
// none: a cache private to one core, the machine itself (all PUs is added
// by count).
std::string level_name(hwloc_topology_t topo, hwloc_obj_t obj) {
  switch (obj->type) {
    case HWLOC_OBJ_CORE:
      return "one core's SMT siblings";
    case HWLOC_OBJ_L2CACHE:
    case HWLOC_OBJ_L3CACHE:
    case HWLOC_OBJ_L4CACHE:
      if (hwloc_get_nbobjs_inside_cpuset_by_type(topo, obj->cpuset, HWLOC_OBJ_CORE) < 2) return "";
      return std::string("one L") + std::to_string(obj->attr->cache.depth) + " cache";
    case HWLOC_OBJ_GROUP: {
      // A group with no name that holds NUMA nodes is hwloc's place for a
      // node no CPU-side object matches (nodes within a package): it is
      // "one NUMA node", added below.
      if (!obj->subtype && obj->memory_arity > 0) return "";
      // Linux names ARM clusters and x86 modules in the group's subtype.
      std::string kind = obj->subtype ? obj->subtype : "group";
      std::transform(kind.begin(), kind.end(), kind.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      return "one " + kind;
    }
    case HWLOC_OBJ_DIE:
      return "one die";
    case HWLOC_OBJ_PACKAGE:
      return "one package";
    default:
      return "";
  }
}

}  // namespace

std::vector<Boundary> Topology::compact_boundaries() const {
  std::vector<Boundary> found;
  const auto add = [&](int threads, const std::string& what) {
    if (threads < 2 || what.empty()) return;
    auto at = std::find_if(found.begin(), found.end(),
                           [&](const Boundary& b) { return b.threads >= threads; });
    if (at != found.end() && at->threads == threads) {
      if (at->what.find(what) == std::string::npos) at->what += ", " + what;
    } else {
      found.insert(at, Boundary{threads, what});
    }
  };
  hwloc_obj_t first_pu = hwloc_get_obj_by_type(handle_, HWLOC_OBJ_PU, 0);
  for (hwloc_obj_t obj = first_pu->parent; obj; obj = obj->parent) {
    add(hwloc_bitmap_weight(obj->cpuset), level_name(handle_, obj));
  }
  hwloc_obj_t node = hwloc_get_obj_by_type(handle_, HWLOC_OBJ_NUMANODE,
                                           static_cast<unsigned>(pus_.front().numa_node));
  if (node) add(hwloc_bitmap_weight(node->cpuset), "one NUMA node");
  add(cores(), "as many threads as cores");
  add(static_cast<int>(pus_.size()), "all PUs");
  return found;
}

nlohmann::json Topology::describe() const {
  nlohmann::json caches = nlohmann::json::array();
  const std::pair<hwloc_obj_type_t, const char*> levels[] = {
      {HWLOC_OBJ_L1CACHE, "L1d"}, {HWLOC_OBJ_L2CACHE, "L2"}, {HWLOC_OBJ_L3CACHE, "L3"}};
  for (const auto& [type, name] : levels) {
    const int n = count(type);
    hwloc_obj_t first = hwloc_get_obj_by_type(handle_, type, 0);
    // A guest's kernel may list caches without their size (qemu's ARM virt
    // machine): a cache of 0 bytes is none that can be described.
    if (n == 0 || first->attr->cache.size == 0) continue;
    caches.push_back({{"level", name},
                      {"count", n},
                      {"size_bytes", first->attr->cache.size},
                      {"line_size", first->attr->cache.linesize}});
  }
  nlohmann::json boundaries = nlohmann::json::array();
  for (const Boundary& b : compact_boundaries()) {
    boundaries.push_back({{"threads", b.threads}, {"what", b.what}});
  }
  nlohmann::json pus = nlohmann::json::array();
  for (const Pu& pu : pus_) {
    const std::vector<int> local = numa_nodes_local_to(pu.os_index);
    pus.push_back({{"cpu", pu.os_index},
                   {"package", pu.package},
                   {"numa_node", pu.numa_node},
                   {"numa_node_os", local.empty() ? -1 : local.front()},
                   {"core", pu.core},
                   {"smt_rank", pu.smt_rank}});
  }
  return {{"source", spec_.empty() ? "this machine" : spec_},
          {"summary", summary()},
          {"packages", packages()},
          {"numa_nodes", numa_nodes()},
          {"cores", cores()},
          {"pus", static_cast<int>(pus_.size())},
          {"caches", caches},
          {"thread_boundaries", boundaries},
          {"pu_list", pus}};
}

std::vector<int> Topology::numa_node_os_indices() const {
  std::vector<int> nodes;
  hwloc_obj_t node = nullptr;
  while ((node = hwloc_get_next_obj_by_type(handle_, HWLOC_OBJ_NUMANODE, node)) != nullptr) {
    nodes.push_back(static_cast<int>(node->os_index));
  }
  std::sort(nodes.begin(), nodes.end());
  return nodes;
}

std::vector<int> Topology::numa_nodes_local_to(int os_index) const {
  std::vector<int> nodes;
  hwloc_obj_t node = nullptr;
  while ((node = hwloc_get_next_obj_by_type(handle_, HWLOC_OBJ_NUMANODE, node)) != nullptr) {
    if (hwloc_bitmap_isset(node->cpuset, static_cast<unsigned>(os_index)))
      nodes.push_back(static_cast<int>(node->os_index));
  }
  std::sort(nodes.begin(), nodes.end());
  return nodes;
}

namespace {

// The nodes as an hwloc nodeset (OS indices), freed when it goes.
struct Nodeset {
  explicit Nodeset(const std::vector<int>& nodes) : set(hwloc_bitmap_alloc()) {
    for (int n : nodes) hwloc_bitmap_set(set, static_cast<unsigned>(n));
  }
  ~Nodeset() { hwloc_bitmap_free(set); }
  Nodeset(const Nodeset&) = delete;
  Nodeset& operator=(const Nodeset&) = delete;
  hwloc_bitmap_t set;
};

hwloc_membind_policy_t policy_of(const MemoryBinding& binding) {
  switch (binding.policy) {
    case MemoryBinding::Policy::bind:
      return HWLOC_MEMBIND_BIND;
    case MemoryBinding::Policy::interleave:
      return HWLOC_MEMBIND_INTERLEAVE;
    case MemoryBinding::Policy::os_choice:
      break;
  }
  return HWLOC_MEMBIND_DEFAULT;
}

std::string refusal(const char* call, int error) {
  return std::string(call) + ": " + std::strerror(error);
}

}  // namespace

std::string Topology::set_thread_memory_policy(const MemoryBinding& binding) const {
  const Nodeset nodes(binding.policy == MemoryBinding::Policy::os_choice ? numa_node_os_indices()
                                                                         : binding.nodes);
  if (hwloc_set_membind(handle_, nodes.set, policy_of(binding),
                        HWLOC_MEMBIND_THREAD | HWLOC_MEMBIND_BYNODESET) != 0) {
    return refusal("hwloc_set_membind", errno);
  }
  return "";
}

std::string Topology::move_area(const void* start, std::size_t bytes,
                                const MemoryBinding& binding) const {
  if (binding.policy == MemoryBinding::Policy::os_choice) return "";
  const Nodeset nodes(binding.nodes);
  if (hwloc_set_area_membind(handle_, start, bytes, nodes.set, policy_of(binding),
                             HWLOC_MEMBIND_MIGRATE | HWLOC_MEMBIND_BYNODESET) != 0) {
    return refusal("hwloc_set_area_membind", errno);
  }
  return "";
}

std::vector<int> Topology::memory_nodes_of(const void* start, std::size_t bytes) const {
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  std::vector<int> nodes;
  if (hwloc_get_area_memlocation(handle_, start, bytes, set, HWLOC_MEMBIND_BYNODESET) == 0) {
    int n = -1;
    hwloc_bitmap_foreach_begin(n, set) nodes.push_back(n);
    hwloc_bitmap_foreach_end();
  }
  hwloc_bitmap_free(set);
  return nodes;
}

bool Topology::bind_thread(pthread_t thread, int os_index) const {
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  hwloc_bitmap_only(set, static_cast<unsigned>(os_index));
  const int rc = hwloc_set_thread_cpubind(handle_, thread, set, 0);
  hwloc_bitmap_free(set);
  return rc == 0;
}

bool Topology::bind_this_thread(int os_index) const {
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  hwloc_bitmap_only(set, static_cast<unsigned>(os_index));
  const int rc = hwloc_set_cpubind(handle_, set, HWLOC_CPUBIND_THREAD);
  hwloc_bitmap_free(set);
  return rc == 0;
}

int Topology::last_cpu_of_this_thread() const {
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  int cpu = -1;
  if (hwloc_get_last_cpu_location(handle_, set, HWLOC_CPUBIND_THREAD) == 0) {
    cpu = hwloc_bitmap_first(set);
  }
  hwloc_bitmap_free(set);
  return cpu;
}

}  // namespace lockbench
