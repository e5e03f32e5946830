#include "benchmarks/locks/ck_mcs.h"

#include <ck_spinlock.h>
#include <stdlib.h>

/* Each lock and node gets cache lines of its own (`line`: the platform's
 * padding, harness/measure/platform.h's kCacheLine): a waiter spins on its node, and
 * sharing that line with anything else would add traffic the algorithm does
 * not have. */

struct lockbench_ck_mcs {
  ck_spinlock_mcs_t tail;
};

struct lockbench_ck_mcs_node {
  struct ck_spinlock_mcs node;
};

static void* alloc_lines(size_t size, size_t line) {
  void* p = aligned_alloc(line, (size + line - 1) / line * line);
  if (!p) abort();
  return p;
}

struct lockbench_ck_mcs* lockbench_ck_mcs_create(size_t line) {
  struct lockbench_ck_mcs* lock = alloc_lines(sizeof *lock, line);
  ck_spinlock_mcs_init(&lock->tail);
  return lock;
}

void lockbench_ck_mcs_destroy(struct lockbench_ck_mcs* lock) { free(lock); }

struct lockbench_ck_mcs_node* lockbench_ck_mcs_node_create(size_t line) {
  return alloc_lines(sizeof(struct lockbench_ck_mcs_node), line);
}

void lockbench_ck_mcs_node_destroy(struct lockbench_ck_mcs_node* node) { free(node); }

void lockbench_ck_mcs_lock(struct lockbench_ck_mcs* lock, struct lockbench_ck_mcs_node* node) {
  ck_spinlock_mcs_lock(&lock->tail, &node->node);
}

void lockbench_ck_mcs_unlock(struct lockbench_ck_mcs* lock, struct lockbench_ck_mcs_node* node) {
  ck_spinlock_mcs_unlock(&lock->tail, &node->node);
}

int lockbench_ck_mcs_locked(struct lockbench_ck_mcs* lock) {
  return ck_spinlock_mcs_locked(&lock->tail);
}
