// What every ioworker dispatch shares: the family's counters and lock
// classes, and how sockets are bound to workers.
//
// A dispatch decides which worker handles which socket's requests. A worker
// is one of the backend's threads; it holds at most one socket at a time:
//   void setup_thread(int thread);             // per-thread lock state
//   void notify(int socket, ThreadContext&);   // the socket's event handler:
//                                              // its frontend wrote requests
//   int take(int worker, ThreadContext&);      // the worker holds nothing: a
//                                              // socket to handle, or -1
//   template <typename Copy> std::uint64_t run(int socket, Copy copy);
//                                              // handle it: copy() drains its ring
//   int finish_and_take(int worker, int socket, ThreadContext&);
//                                              // done with socket: the next
//                                              // one to handle, or -1
//   WakeChannel& channel(int worker);          // where the worker sleeps when
//                                              // it holds nothing
//   std::string check_quiescent() const;       // optional: "" when nothing is
//                                              // queued or in flight
// take and finish_and_take return -1 when the worker is to go idle: it
// sleeps on its channel until the dispatch or an event wakes it, and then
// calls take. finish_and_take is one hold of the dispatch's lock where the
// modelled code finishes an item and takes the next in one (worker_thread's
// loop, the RFC's list walk); each variant says where it is so.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace lockbench::ioworker {

enum Counter : int { kBytes, kNotifications, kRuns, kMigrations, kRingFull, kCounters };
// work_lock: a list of sockets' lock (the global list, an RFC ioworker's
// wqs); pool_lock: a workqueue worker_pool's lock.
enum LockClass : int { kWorkLock, kPoolLock, kLockClasses };

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
