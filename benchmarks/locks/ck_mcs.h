// C++ face of Concurrency Kit's MCS lock. ck's mcs.h does not compile as
// C++ (it converts void* implicitly), so ck_mcs.c wraps it in C; the cost is
// one call per lock and unlock, which the measurement includes.
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lockbench_ck_mcs;       // the lock: ck_spinlock_mcs_t
struct lockbench_ck_mcs_node;  // one waiter's queue node

// line: the alignment and size unit of the allocation (the cache line to
// pad to).
struct lockbench_ck_mcs* lockbench_ck_mcs_create(size_t line);
void lockbench_ck_mcs_destroy(struct lockbench_ck_mcs* lock);
struct lockbench_ck_mcs_node* lockbench_ck_mcs_node_create(size_t line);
void lockbench_ck_mcs_node_destroy(struct lockbench_ck_mcs_node* node);
void lockbench_ck_mcs_lock(struct lockbench_ck_mcs* lock, struct lockbench_ck_mcs_node* node);
void lockbench_ck_mcs_unlock(struct lockbench_ck_mcs* lock, struct lockbench_ck_mcs_node* node);
int lockbench_ck_mcs_locked(struct lockbench_ck_mcs* lock);

#ifdef __cplusplus
}
#endif
