// The ioworker family's workload (seed 003, the pvcalls backend). Frontend
// threads (role 1) are the guest writing to its sockets: frontend f owns
// sockets f, f + F, ... (F frontends, sockets_per_frontend each) and, in
// turn, writes `batch` requests of payload_bytes into one socket's ring and
// notifies the backend through the socket's event channel, spending
// notify_ns on the send (the EVTCHNOP_send hypercall of
// notify_remote_via_irq, calibrated busy work before the event is raised).
// A frontend that finds a ring full yields its CPU and moves on to its next
// socket.
//
// Workers (role 0) are the backend domain's vCPUs. Each receives the events
// of the ports bound to it (event_channel.h) and runs the socket's handler
// for them (the dispatch's notify: its queue_work), before it looks for work
// and after each request it copies, where an interrupt could land. And each
// is a worker of the dispatch: it takes a socket, copies the requests its
// ring held when it looked (one pass, as pvcalls_conn_back_write reads the
// producer index once) to the socket's other side (the memcpy the seed is
// about), checks them, and hands the socket back, taking the next in the
// same step (finish_and_take). A worker with nothing to do sleeps until the
// dispatch wakes it or an event kicks its vCPU.
//
// The backend is Linux code running in a Xen guest (dom0), so its locks (a
// worker's list, the workqueue pool's) are Linux's queued spinlocks with the
// PV slow path a Xen guest runs (benchmarks/locks/pv_qspinlock.h), not the
// hypervisor's ticket locks of the other families.
//
// Invariants, checked at quiescence after the workers drained what was
// queued:
//   INV1 a socket is never handled by two workers at once;
//   INV2 no lost notification: every request written was handled;
//   INV3 requests arrive complete and in order per socket (socket.h);
//   INV4 nothing is left queued or in flight: the dispatch's lists, pools
//        and work items are back to rest (check_quiescent, where it has
//        one).
#pragma once

#include <algorithm>
#include <barrier>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "benchmarks/ioworker/event_channel.h"
#include "benchmarks/ioworker/ioworker.h"
#include "benchmarks/ioworker/socket.h"
#include "harness/measure/delay.h"
#include "harness/measure/family.h"
#include "harness/measure/thread_slots.h"

namespace lockbench::ioworker {

struct WorkloadSetup {
  int sockets = 8;
  std::size_t payload_bytes = 4096;
  int batch = 1;
  int max_workers = 64;
  double skew = 0;
  std::uint64_t notify_ns = 0;  // the frontend's cost of a send's notification
};

template <typename Dispatch>
class IoWorkload final : public LoopedWorkload<IoWorkload<Dispatch>> {
 public:
  IoWorkload(const WorkloadSetup& setup, const std::vector<int>& roles)
      : setup_(setup),
        notify_cost_(setup.notify_ns),
        part_(roles.size()),
        dispatch_(dispatch_setup(setup, roles)),
        events_(setup.sockets, count_workers(roles)),
        events_drained_(count_workers(roles)),
        per_thread_(roles.size()) {
    int workers = 0;
    for (std::size_t i = 0; i < roles.size(); ++i) {
      part_[i] = roles[i] == 0 ? Part{.worker = workers++} : Part{.frontend = frontends_++};
    }
    for (int s = 0; s < setup.sockets; ++s) {
      sockets_.push_back(std::make_unique<Socket>(s, setup.payload_bytes));
    }
  }

  void setup_thread(ThreadContext& ctx) override {
    dispatch_.setup_thread(ctx.index);
    PerThread& state = per_thread_.make_for(ctx);
    state.next_socket = part_[static_cast<std::size_t>(ctx.index)].frontend;
  }

  std::uint64_t operation(ThreadContext& ctx) {
    const Part part = part_[static_cast<std::size_t>(ctx.index)];
    PerThread& state = per_thread_.of(ctx);
    if (part.worker < 0) {
      write(state, ctx);
      return 0;
    }
    if (state.current < 0) {
      WakeChannel& wake = dispatch_.channel(part.worker);
      // Before looking at events and work, so that no kick or wake slips by.
      const std::uint32_t seen = wake.events();
      upcall(part.worker, ctx);
      state.current = dispatch_.take(part.worker, ctx);
      if (state.current < 0) {
        wake.sleep(seen);
        return 0;
      }
    } else {
      upcall(part.worker, ctx);
    }
    const int socket = state.current;
    const std::uint64_t copied = handle(part.worker, socket, state, ctx);
    state.current = dispatch_.finish_and_take(part.worker, socket, ctx);
    return copied;
  }

  // What was raised and queued when the frontends stopped is handled.
  void drain(ThreadContext& ctx) override {
    const Part part = part_[static_cast<std::size_t>(ctx.index)];
    if (part.worker < 0) return;
    PerThread& state = per_thread_.of(ctx);
    // Every vCPU's last events are handled before any worker looks for its
    // last socket: a port's vCPU may queue on another worker (percpu, when
    // a socket's ioworker is not its port's vCPU).
    upcall(part.worker, ctx);
    events_drained_.arrive_and_wait();
    // The socket the worker took in its last step, then the rest.
    int socket = state.current >= 0 ? state.current : dispatch_.take(part.worker, ctx);
    while (socket >= 0) {
      handle(part.worker, socket, state, ctx);
      socket = dispatch_.finish_and_take(part.worker, socket, ctx);
    }
    state.current = -1;
  }

  std::string check_invariants(const std::vector<ThreadContext*>&) override {
    std::uint64_t overlaps = 0, damaged = 0;
    for (const auto& slot : per_thread_) {
      overlaps += slot.value.overlaps;
      damaged += slot.value.damaged;
    }
    if (overlaps != 0) {
      return "INV1 a socket was handled by two workers at once, " + std::to_string(overlaps) +
             " times";
    }
    if (damaged != 0) {
      return "INV3 " + std::to_string(damaged) + " requests arrived torn or out of order";
    }
    for (const auto& socket : sockets_) {
      if (const std::uint32_t left = socket->queued(); left != 0) {
        return "INV2 a lost notification: " + std::to_string(left) + " of the " +
               std::to_string(socket->written()) +
               " requests written to a socket were never handled";
      }
    }
    if (!events_.quiescent()) return "INV4 at quiescence an event is still pending";
    if constexpr (requires { dispatch_.check_quiescent(); }) {
      if (std::string left = dispatch_.check_quiescent(); !left.empty()) {
        return "INV4 at quiescence " + left;
      }
    }
    return "";
  }

  void derive_counters(const std::vector<ThreadContext*>& threads, double seconds,
                       nlohmann::json& counters) override {
    std::uint64_t handled = 0;
    for (const ThreadContext* t : threads) handled += t->role == 0 ? t->ops : 0;
    const double runs = counters["runs"].get<double>();
    counters["bytes_per_sec"] = counters["bytes"].get<double>() / seconds;
    counters["requests_per_run"] = runs > 0 ? static_cast<double>(handled) / runs : 0.0;
    counters["migrated_pct"] = runs > 0 ? 100 * counters["migrations"].get<double>() / runs : 0.0;
  }

 private:
  // A thread is a worker (its index among the workers) or a frontend.
  struct Part {
    int worker = -1;
    int frontend = -1;
  };

  struct PerThread {
    int next_socket = 0;  // frontends: the socket they write to next
    int current = -1;     // workers: the socket taken and not yet handled
    std::uint64_t overlaps = 0;
    std::uint64_t damaged = 0;
  };

  static int count_workers(const std::vector<int>& roles) {
    return static_cast<int>(std::count(roles.begin(), roles.end(), 0));
  }

  static DispatchSetup dispatch_setup(const WorkloadSetup& setup, const std::vector<int>& roles) {
    return {.sockets = setup.sockets,
            .threads = static_cast<int>(roles.size()),
            .workers = count_workers(roles),
            .max_workers = setup.max_workers,
            .skew = setup.skew};
  }

  void write(PerThread& state, ThreadContext& ctx) {
    const int s = state.next_socket;
    state.next_socket = s + frontends_ < setup_.sockets ? s + frontends_
                                                          : part_[static_cast<std::size_t>(ctx.index)].frontend;
    Socket& socket = *sockets_[static_cast<std::size_t>(s)];
    int wrote = 0;
    for (; wrote < setup_.batch; ++wrote) {
      const bool timed = ctx.sample_now();
      if (!socket.write_request(timed ? cycle_clock() + 1 : 0, timed ? ctx.sample_weight() : 0)) {
        break;
      }
    }
    if (wrote != 0) {
      ctx.count(kNotifications);
      notify_cost_.run();
      if (events_.raise(s)) dispatch_.channel(events_.vcpu_of(s)).notify();  // the kick
    }
    if (wrote < setup_.batch) {
      ctx.count(kRingFull);
      std::this_thread::yield();  // the guest waits for ring space
    }
  }

  // The vCPU's pending events: each port's handler, pvcalls_back_conn_event,
  // is the dispatch's notify.
  void upcall(int vcpu, ThreadContext& ctx) {
    events_.upcall(vcpu, [&](int socket) { dispatch_.notify(socket, ctx); });
  }

  std::uint64_t handle(int worker, int s, PerThread& state, ThreadContext& ctx) {
    Socket& socket = *sockets_[static_cast<std::size_t>(s)];
    bool moved = false;
    if (socket.begin_handling(worker, moved)) ++state.overlaps;
    if (moved) ctx.count(kMigrations);
    ctx.count(kRuns);
    const std::uint64_t copied =
        dispatch_.run(s, [&] { return copy_all(worker, socket, state, ctx); });
    socket.end_handling();
    if (copied != 0) ctx.count(kBytes, copied * socket.payload_bytes());
    return copied;
  }

  // One pass over the socket's ring: the requests written when it looks.
  // The vCPU takes its events after each request it copies, where an
  // interrupt would land (no lock is held during a copy), so a handler can
  // find the socket it is handling running.
  std::uint64_t copy_all(int worker, Socket& socket, PerThread& state, ThreadContext& ctx) {
    std::uint64_t copied = 0;
    const std::uint32_t seen = socket.look();
    for (Socket::Copied request; socket.copy_request(request, seen); ++copied) {
      if (!request.intact) ++state.damaged;
      // Write to completion, for the sampled requests, weighted as the
      // frontend sampled them (two CPUs' clocks: never below 0).
      if (request.stamp != 0 && ctx.measuring) {
        const std::uint64_t at = request.stamp - 1, now = cycle_clock();
        ctx.latency.record(now > at ? ticks_to_ns(now - at) : 0, request.weight);
      }
      upcall(worker, ctx);
    }
    return copied;
  }

  const WorkloadSetup setup_;
  const Delay notify_cost_;
  std::vector<Part> part_;
  int frontends_ = 0;
  Dispatch dispatch_;
  EventChannels events_;
  std::barrier<> events_drained_;  // the workers', in drain
  std::vector<std::unique_ptr<Socket>> sockets_;
  ThreadSlots<PerThread> per_thread_;
};

}  // namespace lockbench::ioworker
