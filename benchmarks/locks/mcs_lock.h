// MCS queue lock (Mellor-Crummey and Scott), Concurrency Kit's
// implementation: each waiter spins on its own queue node and the holder
// hands the lock to its successor by writing that node.
//
// Guarantees: mutual exclusion, FIFO, local spinning (one cache-line transfer
// per hand-off however many wait). Failure mode: like the ticket lock, the
// hand-off goes to one specific waiter, so a preempted successor stalls the
// queue (the problem qspinlock's PV variant addresses).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "benchmarks/locks/ck_mcs.h"
#include "benchmarks/locks/lock_api.h"

namespace lockbench::spinlock {

class McsLock {
 public:
  static constexpr std::uint64_t kTicketSpace = 0;

  explicit McsLock(const LockSetup& setup)
      : lock_(lockbench_ck_mcs_create(kCacheLine)), nodes_(static_cast<std::size_t>(setup.threads)) {}

  // Each waiter's queue node, made on its own thread.
  void setup_thread(int thread) {
    nodes_[static_cast<std::size_t>(thread)].reset(lockbench_ck_mcs_node_create(kCacheLine));
  }

  // ck's lock() does not say whether it queued behind anyone; contention is
  // not reported rather than learnt by an extra load of the tail.
  Acquired lock(int thread) {
    lockbench_ck_mcs_lock(lock_.get(), node(thread));
    return {};
  }

  Released unlock(int thread) {
    lockbench_ck_mcs_unlock(lock_.get(), node(thread));
    return {};
  }

  std::string check_quiescent() const {
    return lockbench_ck_mcs_locked(lock_.get()) ? "MCS lock still held at quiescence" : "";
  }

 private:
  struct LockDeleter {
    void operator()(lockbench_ck_mcs* l) const { lockbench_ck_mcs_destroy(l); }
  };
  struct NodeDeleter {
    void operator()(lockbench_ck_mcs_node* n) const { lockbench_ck_mcs_node_destroy(n); }
  };
  lockbench_ck_mcs_node* node(int thread) { return nodes_[static_cast<std::size_t>(thread)].get(); }

  std::unique_ptr<lockbench_ck_mcs, LockDeleter> lock_;
  std::vector<std::unique_ptr<lockbench_ck_mcs_node, NodeDeleter>> nodes_;
};

}  // namespace lockbench::spinlock
