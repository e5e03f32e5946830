/* A second, independent bare ticket-lock loop, the check on the first
 * (ticket_loop.cc): C11 and pthreads instead of C++, its own ticket lock on
 * the GCC atomic builtins, its own pinning through hwloc's C API and its own
 * clock. Same measurement: threads pinned to the first THREADS PUs take the
 * lock, bump the counter it protects and release it; every shared word on a
 * line of its own; operations counted in a register over a fixed window.
 * If the two disagree, one of them measures something besides the lock.
 *
 * usage: lockbench-baseline-c THREADS DURATION_MS
 * prints: {"threads": N, "seconds": S, "ops": K, "ops_per_sec": R} */
#include <hwloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define LINE 64
enum { WARMUP, MEASURE, STOP };

/* The x86 ticket lock word: "now serving" in the low half, "next ticket" in
 * the high half. Take a ticket: fetch-and-add on the high half, acquire.
 * Release: the holder alone writes "now serving", a plain release store. */
static struct { _Alignas(LINE) uint64_t word; } lock;
static struct { _Alignas(LINE) int value; } phase;
static struct { _Alignas(LINE) uint64_t value; } protected_data;

struct worker {
  _Alignas(LINE) pthread_t thread;
  hwloc_topology_t topology;
  hwloc_obj_t pu;
  pthread_barrier_t *start;
  uint64_t ops;
};

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static void take(void) {
  uint64_t old = __atomic_fetch_add(&lock.word, (uint64_t)1 << 32, __ATOMIC_ACQUIRE);
  uint32_t mine = (uint32_t)(old >> 32);
  uint32_t *serving = (uint32_t *)&lock.word;
  if ((uint32_t)old == mine) return;
  while (__atomic_load_n(serving, __ATOMIC_ACQUIRE) != mine) relax();
}

static void release(void) {
  uint32_t *serving = (uint32_t *)&lock.word;
  __atomic_store_n(serving, __atomic_load_n(serving, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}

static void *work(void *arg) {
  struct worker *w = arg;
  hwloc_set_cpubind(w->topology, w->pu->cpuset, HWLOC_CPUBIND_THREAD);
  pthread_barrier_wait(w->start);
  while (__atomic_load_n(&phase.value, __ATOMIC_RELAXED) == WARMUP) {
    take();
    ++protected_data.value;
    release();
  }
  uint64_t ops = 0;
  while (__atomic_load_n(&phase.value, __ATOMIC_RELAXED) == MEASURE) {
    take();
    ++protected_data.value;
    release();
    ++ops;
  }
  w->ops = ops;
  return NULL;
}

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0) {
  }
}

int main(int argc, char **argv) {
  hwloc_topology_t topology;
  hwloc_topology_init(&topology);
  hwloc_topology_load(topology);
  int pus = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PU);
  int threads = argc == 3 ? atoi(argv[1]) : 0;
  long duration_ms = argc == 3 ? atol(argv[2]) : 0;
  if (threads < 1 || threads > pus || duration_ms < 1) {
    fprintf(stderr, "usage: %s THREADS DURATION_MS (THREADS: 1..%d, DURATION_MS: 1 or more)\n",
            argv[0], pus);
    return 2;
  }
  struct worker *team = aligned_alloc(LINE, sizeof(struct worker) * (size_t)threads);
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
  for (int i = 0; i < threads; ++i) {
    team[i] = (struct worker){.topology = topology,
                              .pu = hwloc_get_obj_by_type(topology, HWLOC_OBJ_PU, (unsigned)i),
                              .start = &start};
    pthread_create(&team[i].thread, NULL, work, &team[i]);
  }
  pthread_barrier_wait(&start);
  sleep_ms(30);
  double begin = seconds_now();
  __atomic_store_n(&phase.value, MEASURE, __ATOMIC_RELAXED);
  sleep_ms(duration_ms);
  __atomic_store_n(&phase.value, STOP, __ATOMIC_RELAXED);
  double seconds = seconds_now() - begin;
  uint64_t ops = 0;
  for (int i = 0; i < threads; ++i) {
    pthread_join(team[i].thread, NULL);
    ops += team[i].ops;
  }
  printf("{\"threads\": %d, \"seconds\": %.6f, \"ops\": %llu, \"ops_per_sec\": %.1f}\n", threads,
         seconds, (unsigned long long)ops, (double)ops / seconds);
  free(team);
  hwloc_topology_destroy(topology);
  return 0;
}
