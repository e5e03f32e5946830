// Where idle workers sleep and what wakes them.
//
// WakeChannel: one worker's sleep (the vCPU it stands for going idle), an
// event count. A worker reads the count, looks for work, and sleeps only
// while the count is unchanged; a wake bumps the count and wakes the worker
// if it sleeps. Departure: a sleep ends after 1 ms at the latest, so that
// the harness can stop an idle worker (a kernel worker sleeps until woken).
//
// IdleWorkers: a pool's idle list (worker_pool.idle_list), under the lock of
// its owner. A worker that finds nothing to take enters it, at the head
// (worker_enter_idle), in the same lock hold as the look; a queue_work wakes
// the first one (first_idle_worker: the last to go idle), which leaves the
// list itself when it takes the lock again (worker_leave_idle). So a second
// queue_work before the woken worker runs wakes that same worker, as in the
// kernel, and the woken worker wakes the next one if it leaves work behind
// (see where each variant chains).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "harness/measure/futex.h"
#include "harness/measure/platform.h"

namespace lockbench::ioworker {

class WakeChannel {
 public:
  // Read before looking for work.
  std::uint32_t events() const { return events_.load(std::memory_order_seq_cst); }

  // Sleeps unless a notification came after `seen`.
  void sleep(std::uint32_t seen) {
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    futex_wait_for(events_, seen, std::chrono::milliseconds(1));
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }

  // After work was queued. The seq_cst increment and load pair with the
  // sleeper's (a store-buffering pattern): either the sleeper's futex sees
  // the new count, or this sees the sleeper and wakes it.
  void notify() {
    events_.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) != 0) futex_wake_one(events_);
  }

 private:
  alignas(kCacheLine) std::atomic<std::uint32_t> events_{0};
  std::atomic<std::uint32_t> sleepers_{0};
};

class IdleWorkers {
 public:
  // Every worker starts idle (a pool's workers start idle), worker 0 last.
  explicit IdleWorkers(int workers)
      : next_(static_cast<std::size_t>(workers), kNone),
        prev_(static_cast<std::size_t>(workers), kNone) {
    for (int w = workers - 1; w >= 0; --w) enter(w);
  }

  // Under the owner's lock.
  void enter(int worker) {
    at(prev_, worker) = kNone;
    at(next_, worker) = head_;
    if (head_ != kNone) at(prev_, head_) = worker;
    head_ = worker;
  }
  void leave(int worker) {  // it is on the list
    const int prev = at(prev_, worker), next = at(next_, worker);
    (prev == kNone ? head_ : at(next_, prev)) = next;
    if (next != kNone) at(prev_, next) = prev;
  }
  int first() const { return head_; }  // -1 when every worker is busy

 private:
  static constexpr int kNone = -1;
  static int& at(std::vector<int>& links, int worker) {
    return links[static_cast<std::size_t>(worker)];
  }

  std::vector<int> next_;
  std::vector<int> prev_;
  int head_ = kNone;
};

}  // namespace lockbench::ioworker
