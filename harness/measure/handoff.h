// The machine's limit for any lock: the one-way latency of handing a cache
// line from one CPU to another. Two threads, pinned through hwloc, pass a
// counter back and forth on one line (each waits for the other's value,
// then writes its own); a round trip is two hand-offs. No lock can pass
// between two CPUs faster than its line can, so at 2+ threads a lock's rate
// is at most about 1e9 / (one-way ns) per second.
#pragma once

#include <vector>

#include "harness/measure/topology.h"

namespace lockbench {

// At most this many CPUs are measured pairwise (evenly spread over the
// ones asked for, in hwloc order): 2016 pairs, about 6 s at 100 ns.
inline constexpr std::size_t kMaxHandoffCpus = 64;

struct HandoffMatrix {
  std::vector<int> cpus;                // OS indexes
  std::vector<std::vector<double>> ns;  // one-way, [i][j] = [j][i]; 0 on the diagonal
  double fastest_ns() const;            // the smallest off-diagonal entry; 0 with one CPU
};

// Every pair of `cpus` (thinned to kMaxHandoffCpus), each the median over
// 15 batches of 1000 round trips, taken in 5 passes 20 ms apart. Needs a topology of this machine (threads are
// pinned to the CPUs).
HandoffMatrix measure_handoffs(const Topology& topology, std::vector<int> cpus);

// A quick look at the same latency between two CPUs (the median of 3 batches
// of 200 round trips, about 0.3 ms at 200 ns; at most 5 ms where the two
// threads cannot run at once), taken after each repetition's window. A VM's
// host may move its vCPUs nearer or farther apart for minutes at a time: on
// a 2-vCPU cloud VM the hand-off read about 38 ns or about 220 ns, changing
// runs apart, and every point with cross-CPU traffic moved with it by up to
// 3x. Results record the probe so that comparisons over time compare
// measurements taken in the same state of the machine.
double probe_handoff(const Topology& topology, int cpu_a, int cpu_b);

}  // namespace lockbench
