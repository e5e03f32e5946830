// Where idle workers sleep and notifications wake them (a kernel worker
// pool's idle list and wake_up_worker): an event count. A worker reads the
// count, looks for work, and sleeps only while the count is unchanged; a
// notification bumps the count and wakes a sleeper if there is one.
// Departure: a sleep ends after 1 ms at the latest, so that the harness can
// stop an idle worker (a kernel worker sleeps until woken).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "harness/runner/futex.h"
#include "harness/runner/platform.h"

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

}  // namespace lockbench::ioworker
