// The FIFO event-channel ABI (Xen 4.4+, xen/common/event_fifo.c; guest side
// drivers/xen/events/events_fifo.c). One 32-bit word per port: PENDING (31),
// MASKED (30), LINKED (29), BUSY (28, unused here), LINK (0-16, next port).
// Per vCPU a control block with READY (a bit per priority) and HEAD[16]; per
// (vCPU, priority) a queue, struct evtchn_fifo_queue {head, tail, priority,
// lock}: the lock beside the tail it guards, the 16 queues of a vCPU packed
// in one array (struct evtchn_fifo_vcpu), so neighbouring priorities share a
// line, and away from the event array (seed 004's answer to the contention
// question).
//
//   raise (Xen, any CPU; evtchn_fifo_set_pending): under the queue's lock,
//     taken on every send, set PENDING; if the port is neither MASKED nor
//     LINKED (whatever PENDING was: a port the consumer has just unlinked is
//     linked again), set LINKED and link the port after the tail with a
//     compare-and-swap of the tail word's LINK that succeeds only while the
//     tail is still LINKED; otherwise (empty queue, or the consumer took the
//     tail meanwhile) HEAD = port. tail = port. Then, after the queue
//     unlock, set the READY bit if the port went in at the head, and if that
//     bit was clear mark the vCPU's events pending and kick it
//     (vcpu_mark_events_pending), as every version since 4.4 does.
//   consume (the guest vCPU, lockless, one consumer per vCPU): take READY by
//     exchange; for the highest ready priority take the head, clear its
//     LINKED and LINK with a compare-and-swap loop (the old LINK is the next
//     head; 0 means the queue is empty), handle it if pending and unmasked;
//     one event per pass, then READY again, so higher priorities preempt.
//
// Scopes: kQueue is today's FIFO ABI: the queue lock around every send (from
// 71ac522909, Xen 4.15 and stable trees; 4.6-4.14 tested PENDING, MASKED and
// LINKED before taking it, a race that lost a poller's wake-up: see
// docs/methodology.md). kDomain models Xen before 4.6, where evtchn_send held
// the sending domain's event_lock around the whole send, the queue lock
// taken inside it to link, and READY and the kick after the queue unlock but
// still inside the event lock (commit de6acb78bf replaced it with a lock per
// channel). kNone is the deliberately broken variant, linking without the
// queue lock: two raises that both read the same tail overwrite each
// other's link and an event is lost.
//
// SpinLock is the spinlock_t of the Xen modelled: TicketLock (4.6 on), or
// for kDomain, which models Xen before 4.6, XenByteLock by default (the
// family's `lock` parameter), so the lock's part can be told from the
// design's.
//
// Departures: Xen 4.6+ also takes the channel's own lock around a send; one
// lock per port, contended only when two producers raise the same port, it
// is not modelled. A queue here is 24 bytes with a byte lock, as Xen's, and
// 32 with a ticket lock (the ticket word here has 32-bit halves, Xen's 16),
// and the array starts on a line (Xen's 8 bytes in, after the control-block
// pointer); either way priorities 0 and 1, the ones the family uses by
// default, share a line.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "benchmarks/evtchn/events.h"
#include "benchmarks/locks/lock_api.h"
#include "benchmarks/locks/profiled_lock.h"
#include "harness/measure/checks.h"
#include "harness/measure/thread_slots.h"

namespace lockbench::evtchn {

enum class LockScope { kQueue, kDomain, kNone };

template <LockScope kScope, typename SpinLock = TicketLock>
class FifoEvents {
 public:
  static constexpr bool kOrdered = true;
  static constexpr std::uint32_t kPending = 1u << 31, kMasked = 1u << 30, kLinked = 1u << 29;
  static constexpr std::uint32_t kLinkMask = (1u << 17) - 1;
  static constexpr int kMaxPriorities = 16;

  FifoEvents(Binding binding, std::uint32_t ports, int threads)
      : binding_(binding),
        ports_per_vcpu_(ports / static_cast<std::uint32_t>(binding.vcpus)),
        words_(ports + 1),
        link_seq_(ports),
        domain_lock_(kEventLock, threads),
        threads_(threads),
        vcpus_(static_cast<std::size_t>(binding.vcpus)) {}

  // On vCPU v's own thread, before the team starts: its control block and
  // queues are first touched there, as Xen allocates them per vCPU.
  void setup_vcpu(int v) { vcpus_.make(static_cast<std::size_t>(v), threads_); }

  // kick(vcpu): vcpu_mark_events_pending, called where Xen calls it.
  template <typename Kick>
  Raised raise(std::uint32_t port, ThreadContext& ctx, Kick&& kick) {
    return set_pending(port, ctx, kick);
  }

  // The guest clears MASKED; EVTCHNOP_unmask then sends again if an event
  // arrived while it was masked (evtchn_fifo_unmask), which links it.
  void mask(std::uint32_t port) { word(port).fetch_or(kMasked, std::memory_order_acq_rel); }
  template <typename Kick>
  void unmask(std::uint32_t port, ThreadContext& ctx, Kick&& kick) {
    const std::uint32_t old = word(port).fetch_and(~kMasked, std::memory_order_acq_rel);
    if (old & kPending) set_pending(port, ctx, kick);
  }

  // One pass of vCPU v's upcall: at most one event taken off a queue, with
  // its place in the linking order when read_order (for the checks).
  Taken consume(int v, bool read_order = false) {
    Vcpu& vcpu = vcpus_[static_cast<std::size_t>(v)].value;
    vcpu.ready_local |= vcpu.ready.exchange(0, std::memory_order_acquire);
    if (vcpu.ready_local == 0) return {};
    const int prio = __builtin_ctz(vcpu.ready_local);
    std::uint32_t port = vcpu.head_local[static_cast<std::size_t>(prio)];
    // Reached the tail last time: the new head is in the control block.
    if (port == 0) port = vcpu.head[static_cast<std::size_t>(prio)].load(std::memory_order_acquire);
    Taken taken;
    taken.port = port;
    // Read while the port is still LINKED: once clear_linked returns, a raise
    // may link the port again and overwrite its sequence number.
    if (kChecks && read_order) taken.link_seq = link_seq(port).load(std::memory_order_relaxed);
    const std::uint32_t old = clear_linked(port);
    const std::uint32_t next = old & kLinkMask;
    if (next == 0) vcpu.ready_local &= ~(1u << prio);
    vcpu.head_local[static_cast<std::size_t>(prio)] = next;
    taken.was_masked = old & kMasked;
    if ((old & kPending) && !(old & kMasked)) {
      taken.handled = word(port).fetch_and(~kPending, std::memory_order_acq_rel) & kPending;
    }
    return taken;
  }

  bool idle(int v) const {
    const Vcpu& vcpu = vcpus_[static_cast<std::size_t>(v)].value;
    return vcpu.ready_local == 0 && vcpu.ready.load(std::memory_order_acquire) == 0;
  }

  // Quiescent check: PENDING, MASKED or LINKED left on a port, as text.
  std::uint32_t flags(std::uint32_t port) const {
    return words_[port].load(std::memory_order_relaxed);
  }
  bool pending(std::uint32_t port) const { return flags(port) & kPending; }
  bool linked(std::uint32_t port) const { return flags(port) & kLinked; }

 private:
  using QueueLock = ProfiledLock<typename SpinLock::Embedded>;

  // struct evtchn_fifo_queue.
  struct Queue {
    explicit Queue(int threads) : lock(kQueueLock, threads) {}
    std::atomic<std::uint32_t>* head = nullptr;  // into the guest's control block
    // tail and next_seq are guarded by lock; atomic only so that the broken
    // variant's unguarded use is a race in the algorithm, not undefined
    // behaviour: relaxed, the lock orders them.
    std::atomic<std::uint32_t> tail{0};
    // The checks' linking order, where Xen keeps the queue's priority byte
    // (so the layout is the same with the checks compiled out): 32 bits,
    // compared as serial numbers, as only nearby values are ever compared.
    std::atomic<std::uint32_t> next_seq{1};
    QueueLock lock;
  };
  static_assert(sizeof(Queue) <= 32, "struct evtchn_fifo_queue is 24 bytes in Xen");

  struct Vcpu {
    explicit Vcpu(int threads)
        : queues(make_queues(threads, std::make_index_sequence<kMaxPriorities>())) {
      for (std::size_t p = 0; p < queues.size(); ++p) queues[p].head = &head[p];
    }
    // The guest's control block.
    alignas(kCacheLine) std::atomic<std::uint32_t> ready{0};
    std::array<std::atomic<std::uint32_t>, kMaxPriorities> head{};
    // The guest's per-CPU copies (only this vCPU's thread touches them).
    alignas(kCacheLine) std::uint32_t ready_local = 0;
    std::array<std::uint32_t, kMaxPriorities> head_local{};
    // The hypervisor's struct evtchn_fifo_vcpu: every queue, packed.
    alignas(kCacheLine) std::array<Queue, kMaxPriorities> queues;

   private:
    template <std::size_t... kPriority>
    static std::array<Queue, kMaxPriorities> make_queues(int threads,
                                                         std::index_sequence<kPriority...>) {
      return {{(static_cast<void>(kPriority), Queue(threads))...}};
    }
  };

  // What a raise did under the queue lock.
  struct Marked {
    Raised raised;
    bool at_head = false;  // linked as the queue's head: its READY bit is due
  };

  std::atomic<std::uint32_t>& word(std::uint32_t port) { return words_[port]; }

  // The checks' record of a port's place in its queue, vCPU-major.
  std::atomic<std::uint32_t>& link_seq(std::uint32_t port) {
    return link_seq_[binding_.vcpu_major(port, ports_per_vcpu_)];
  }

  Vcpu& vcpu_of(std::uint32_t port) {
    return vcpus_[static_cast<std::size_t>(binding_.vcpu_of(port))].value;
  }
  Queue& queue_of(std::uint32_t port) {
    return vcpu_of(port).queues[static_cast<std::size_t>(binding_.priority_of(port))];
  }

  // evtchn_send: before 4.6 the whole send under the domain's event lock.
  template <typename Kick>
  Raised set_pending(std::uint32_t port, ThreadContext& ctx, Kick& kick) {
    std::optional<ProfiledGuard<SpinLock>> domain;
    if constexpr (kScope == LockScope::kDomain) domain.emplace(domain_lock_, ctx);
    return fifo_set_pending(port, ctx, kick);
  }

  // evtchn_fifo_set_pending: READY and the kick after the queue unlock.
  template <typename Kick>
  Raised fifo_set_pending(std::uint32_t port, ThreadContext& ctx, Kick& kick) {
    Marked marked = mark_and_link(port, ctx);
    if (marked.at_head && set_ready(port)) {
      marked.raised.notify = true;
      kick(binding_.vcpu_of(port));
    }
    return marked.raised;
  }

  // PENDING, and the link if the port is unmasked and unlinked, under the
  // queue lock: around all of it today, around the link alone before 4.6.
  Marked mark_and_link(std::uint32_t port, ThreadContext& ctx) {
    std::optional<ProfiledGuard<typename SpinLock::Embedded>> queue;
    if constexpr (kScope == LockScope::kQueue) queue.emplace(queue_of(port).lock, ctx);
    // acq_rel: the consumer that clears PENDING sees what preceded the raise.
    const std::uint32_t old = word(port).fetch_or(kPending, std::memory_order_acq_rel);
    const bool transition = !(old & kPending);
    if (old & kMasked) return {.raised = {.transition = transition, .masked = transition}};
    if (old & kLinked) return {.raised = {.transition = transition}};
    if constexpr (kScope == LockScope::kDomain) queue.emplace(queue_of(port).lock, ctx);
    return {.raised = {.transition = transition}, .at_head = link(port)};
  }

  // evtchn_fifo_set_link: LINK = port, only while the tail is still LINKED.
  bool set_link(std::uint32_t tail, std::uint32_t port) {
    std::uint32_t old = word(tail).load(std::memory_order_acquire);
    while (old & kLinked) {
      // Release: the consumer that follows this link sees the new port's
      // sequence number and word.
      if (word(tail).compare_exchange_weak(old, (old & ~kLinkMask) | port,
                                           std::memory_order_acq_rel, std::memory_order_acquire)) {
        return true;
      }
    }
    return false;
  }

  // The consumer's clear_linked: LINKED and LINK off together; returns the
  // old word.
  std::uint32_t clear_linked(std::uint32_t port) {
    std::uint32_t old = word(port).load(std::memory_order_acquire);
    while (!word(port).compare_exchange_weak(
        old, old & ~(kLinked | kLinkMask), std::memory_order_acq_rel, std::memory_order_acquire)) {
    }
    return old;
  }

  // Called with the queue lock held (but by the broken variant). Returns
  // whether the port went in as the queue's head (its READY bit is due).
  bool link(std::uint32_t port) {
    Queue& q = queue_of(port);
    // LINKED is set under the queue lock (as Xen does since 4.4): set
    // outside it, a consumed tail whose port is being linked again would
    // look linked to another linker, which would link after it, and both
    // ports would be lost.
    if (word(port).fetch_or(kLinked, std::memory_order_acq_rel) & kLinked) return false;
    if constexpr (kChecks) {  // INV2: a sampled consumer pass reads link_seq
      const std::uint32_t seq = q.next_seq.load(std::memory_order_relaxed);
      q.next_seq.store(seq + 1, std::memory_order_relaxed);
      link_seq(port).store(seq, std::memory_order_relaxed);
    }
    // A tail equal to port means the queue is empty: it only looks linked
    // because LINKED was just set above (as Xen's comment says).
    const std::uint32_t tail = q.tail.load(std::memory_order_relaxed);
    const bool linked = tail != 0 && tail != port && set_link(tail, port);
    if (!linked) q.head->store(port, std::memory_order_release);
    q.tail.store(port, std::memory_order_relaxed);
    return !linked;
  }

  // The queue's READY bit; whether it was clear (the guest's upcall is due).
  bool set_ready(std::uint32_t port) {
    const std::uint32_t bit = 1u << binding_.priority_of(port);
    // Release: the consumer that takes READY sees HEAD.
    return !(vcpu_of(port).ready.fetch_or(bit, std::memory_order_acq_rel) & bit);
  }

  const Binding binding_;
  const std::uint32_t ports_per_vcpu_;
  std::vector<std::atomic<std::uint32_t>> words_;  // the event array
  std::vector<std::atomic<std::uint32_t>> link_seq_;
  ProfiledLock<SpinLock> domain_lock_;
  const int threads_;
  ThreadSlots<Vcpu> vcpus_;
};

}  // namespace lockbench::evtchn
