// A guest socket as the pvcalls backend sees it (drivers/xen/pvcalls-back.c):
// a ring the frontend writes requests into, and the socket's other side, the
// buffer the backend copies each request's data to. One frontend writes a
// socket's ring; one worker at a time reads it (the dispatch guarantees
// that, and the checks here catch it when it does not).
//
// A request is a header (sequence number, sampled notification time) and
// payload_bytes of data whose words follow a pattern of (socket, sequence),
// so that a copy can be checked. Departure: the worker checks three words of
// each copy (first, middle, last) and the sequence, not a checksum of every
// byte, which would double the memory traffic the model measures; a torn or
// reordered request still fails the check.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "harness/measure/platform.h"

namespace lockbench::ioworker {

class Socket {
 public:
  static constexpr std::uint32_t kSlots = 4;  // requests a ring holds

  Socket(int id, std::size_t payload_bytes)
      : id_(id),
        words_(payload_bytes / sizeof(std::uint64_t)),
        stride_(kHeaderWords + (words_ + kLineWords - 1) / kLineWords * kLineWords),
        ring_(std::make_unique<std::uint64_t[]>(stride_ * kSlots)),
        other_side_(std::make_unique<std::uint64_t[]>(words_)) {}

  std::size_t payload_bytes() const { return words_ * sizeof(std::uint64_t); }

  // The frontend's side. Writes the next request unless the ring is full;
  // stamp: cycle_clock() + 1 of a sampled notification, else 0.
  bool write_request(std::uint64_t stamp, std::uint32_t weight) {
    const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_.load(std::memory_order_acquire) == kSlots) return false;  // full
    std::uint64_t* slot = slot_of(tail);
    const std::uint64_t base = pattern(id_, written_);
    for (std::size_t i = 0; i < words_; ++i) slot[kHeaderWords + i] = base + i;
    slot[kSeq] = written_++;
    slot[kStamp] = stamp;
    slot[kWeight] = weight;
    tail_.store(tail + 1, std::memory_order_release);  // publishes the request
    return true;
  }

  // A request the handling worker took: its stamp and weight (for the
  // notification-to-completion latency) and whether it arrived intact and in
  // order.
  struct Copied {
    std::uint64_t stamp;
    std::uint32_t weight;
    bool intact;
  };

  // The worker's look at the ring: where the requests written so far end
  // (pvcalls_conn_back_write reads the producer index once and copies what
  // it saw; what is written meanwhile waits for the next pass).
  std::uint32_t look() const {
    return tail_.load(std::memory_order_acquire);  // pairs with write_request
  }

  // The worker's side: copies the oldest request to the other side and frees
  // its slot; false when the ring is empty up to `seen` (a look).
  bool copy_request(Copied& copied, std::uint32_t seen) {
    const std::uint32_t head = head_.load(std::memory_order_relaxed);
    // At or past what it saw: past only when two workers handle the socket
    // at once (a broken dispatch), which must not make a pass run on.
    if (static_cast<std::int32_t>(seen - head) <= 0) return false;
    const std::uint64_t* slot = slot_of(head);
    std::memcpy(other_side_.get(), slot + kHeaderWords, words_ * sizeof(std::uint64_t));
    const std::uint64_t seq = slot[kSeq];
    copied = {slot[kStamp], static_cast<std::uint32_t>(slot[kWeight]), intact(seq)};
    expected_ = seq + 1;
    head_.store(head + 1, std::memory_order_release);  // frees the slot for the frontend
    return true;
  }

  bool copy_request(Copied& copied) { return copy_request(copied, look()); }

  std::uint32_t queued() const {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }
  std::uint64_t written() const { return written_; }  // at quiescence

  // A worker starts handling the socket. Returns whether another worker is
  // handling it too (a plain load and store, not an atomic exchange, so the
  // check adds no locked instruction; an overlap is seen with high
  // probability, and the sequence check catches what it misses), and sets
  // `moved` when the last handler was another worker (a migration).
  bool begin_handling(int worker, bool& moved) {
    const bool overlap = handler_.load(std::memory_order_relaxed) != 0;
    handler_.store(worker + 1, std::memory_order_relaxed);
    moved = last_handler_ != 0 && last_handler_ != worker + 1;
    last_handler_ = worker + 1;
    return overlap;
  }
  void end_handling() { handler_.store(0, std::memory_order_relaxed); }

 private:
  enum : std::size_t { kSeq, kStamp, kWeight, kHeaderWords = kCacheLine / sizeof(std::uint64_t) };
  static constexpr std::size_t kLineWords = kCacheLine / sizeof(std::uint64_t);

  static std::uint64_t pattern(int socket, std::uint64_t seq) {
    return (static_cast<std::uint64_t>(socket) << 40) ^ (seq * 0x9e3779b97f4a7c15ull);
  }

  // The sequence is the next expected, and the copy holds the request's
  // pattern at its ends and in the middle.
  bool intact(std::uint64_t seq) const {
    if (seq != expected_) return false;
    if (words_ == 0) return true;
    const std::uint64_t base = pattern(id_, seq);
    const std::uint64_t* copy = other_side_.get();
    return copy[0] == base && copy[words_ / 2] == base + words_ / 2 &&
           copy[words_ - 1] == base + words_ - 1;
  }

  std::uint64_t* slot_of(std::uint32_t index) const {
    return ring_.get() + (index % kSlots) * stride_;
  }

  const int id_;
  const std::size_t words_;
  const std::size_t stride_;  // words per slot: the header line, then the payload in whole lines
  const std::unique_ptr<std::uint64_t[]> ring_;
  const std::unique_ptr<std::uint64_t[]> other_side_;
  // The frontend's line: the ring's tail and the requests it wrote.
  alignas(kCacheLine) std::atomic<std::uint32_t> tail_{0};
  std::uint64_t written_ = 0;
  // The handler's line: the head, the sequence it takes next, and who
  // handles the socket. Relaxed: the dispatch orders one handler after the
  // last (a lock, or the work item's pending bit).
  alignas(kCacheLine) std::atomic<std::uint32_t> head_{0};
  std::uint64_t expected_ = 0;
  std::atomic<int> handler_{0};
  int last_handler_ = 0;
};

}  // namespace lockbench::ioworker
