// The bookkeeping a Linux workqueue does under its worker_pool's lock
// (kernel/workqueue.c, 4.19-5.x), for the variants that run on one:
//
//   queue_work:   test_and_set_bit(PENDING) outside any lock; if it was
//                 clear, __queue_work takes pool->lock and, under it, counts
//                 the work in its pool_workqueue (nr_in_flight++), then puts
//                 it on the pool's worklist if nr_active < max_active
//                 (nr_active++), else on the pwq's delayed_works; and wakes
//                 an idle worker of the pool if none is running.
//   worker_thread: under pool->lock, takes the worklist's first work and
//                 calls process_one_work, which claims it (clears PENDING),
//                 unlocks, runs the function, re-locks and does the
//                 completion bookkeeping (pwq_dec_nr_in_flight: nr_active--,
//                 a delayed work becomes active and goes on the worklist,
//                 nr_in_flight--); back in worker_thread, still under the
//                 lock, keep_working() takes the next work or the worker goes
//                 idle. So a run's completion and the next run's dequeue are
//                 one pool->lock hold.
//
// Not modelled: flush colours (one colour: no flush_workqueue here) and the
// get_pwq/put_pwq reference counts, which change no lock hold.
#pragma once

namespace lockbench::ioworker {

// A pool_workqueue's counters, under its pool's lock.
struct PoolWorkqueue {
  int max_active;
  int nr_in_flight = 0;  // queued, delayed or running
  int nr_active = 0;     // on the pool's worklist or running
  int nr_delayed = 0;    // on delayed_works

  // __queue_work's part: whether the work goes on the pool's worklist now
  // (else it waits on delayed_works).
  bool queue() {
    ++nr_in_flight;
    if (nr_active < max_active) {
      ++nr_active;
      return true;
    }
    ++nr_delayed;
    return false;
  }

  // pwq_dec_nr_in_flight after a run: whether a delayed work became active
  // (and goes on the pool's worklist).
  bool complete() {
    --nr_in_flight;
    --nr_active;
    if (nr_delayed == 0 || nr_active >= max_active) return false;
    --nr_delayed;
    ++nr_active;
    return true;
  }

  bool idle() const { return nr_in_flight == 0 && nr_active == 0 && nr_delayed == 0; }
};

}  // namespace lockbench::ioworker
