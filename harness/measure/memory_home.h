// Where a point's shared state lives: its `home`. The global lock, the
// shared lists and queues, the lock word of a spinlock: the memory every
// thread of a point contends on. On a NUMA box the same point moves by a
// remote-memory latency when its shared state moves, so a point says where
// it is, and each repetition records where it really was.
#pragma once

#include <string>
#include <vector>

#include "harness/measure/topology.h"

namespace lockbench {

struct MemoryHome {
  enum class Kind {
    first,       // the NUMA node of the first thread's CPU; unpinned: wherever
                 // the coordinator builds it (the OS's choice, as for a guest)
    node,        // one NUMA node, by OS index ("node:1")
    far,         // a node none of the point's CPUs belongs to
    interleave,  // page by page over every NUMA node
  };
  Kind kind = Kind::first;
  int node = -1;  // Kind::node only

  // "first", "node:N", "far" or "interleave"; throws std::invalid_argument
  // naming the text and what is allowed.
  static MemoryHome parse(const std::string& text);
  std::string to_string() const;
  static constexpr const char* kAllowed =
      "\"first\", \"node:N\" (a NUMA node's OS index), "
      "\"far\" or \"interleave\"";
};

// A home resolved on one topology for one point's CPUs: what the memory
// policy is, over which NUMA nodes (OS indices).
struct MemoryBinding {
  enum class Policy { os_choice, bind, interleave };
  Policy policy = Policy::os_choice;
  std::vector<int> nodes;
};

// Throws std::invalid_argument when the topology cannot give the home to a
// point on these CPUs (kUnpinned for a thread the OS places): a node it
// does not have, or `far` where every node holds one of the point's CPUs
// (a thread left unpinned may run on any).
MemoryBinding resolve_home(const Topology& topology, const MemoryHome& home,
                           const std::vector<int>& cpus);

}  // namespace lockbench
