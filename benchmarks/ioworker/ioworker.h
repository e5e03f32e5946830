// What every ioworker dispatch shares: the family's counters and lock class,
// and how sockets are bound to workers.
//
// A dispatch decides which worker handles which socket's requests:
//   void setup_thread(int thread);             // per-thread lock state
//   void notify(int socket, ThreadContext&);   // a frontend wrote requests
//   int take(int worker, ThreadContext&);      // a socket to handle, or -1
//   template <typename Copy> std::uint64_t run(int socket, Copy copy);
//                                              // handle it: copy() drains its ring
//   void finish(int worker, int socket, ThreadContext&);
//   WakeChannel& channel(int worker);          // where the worker sleeps when idle
#pragma once

#include <cmath>
#include <vector>

namespace lockbench::ioworker {

enum Counter : int { kBytes, kNotifications, kRuns, kMigrations, kRingFull, kCounters };
enum LockClass : int { kWorkLock, kLockClasses };

struct DispatchSetup {
  int sockets = 1;
  int threads = 1;
  int workers = 1;       // the point's consumer threads
  int max_workers = 64;  // the RFC's MAX_IOWORKERS
  double skew = 0;       // percpu: the share of sockets all bound to worker 0
};

// percpu: the worker each socket is bound to when it connects. The first
// skew x sockets go to worker 0 (the uneven distribution the review feared,
// up to all of them), the rest round-robin over min(max_workers, workers).
inline std::vector<int> bind_sockets(const DispatchSetup& setup) {
  const int workers = std::min(setup.max_workers, setup.workers);
  const auto crowded = static_cast<int>(std::lround(setup.skew * setup.sockets));
  std::vector<int> worker_of(static_cast<std::size_t>(setup.sockets));
  for (int s = 0; s < setup.sockets; ++s) {
    worker_of[static_cast<std::size_t>(s)] = s < crowded ? 0 : s % workers;
  }
  return worker_of;
}

}  // namespace lockbench::ioworker
