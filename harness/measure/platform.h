// The only per-architecture code in lockbench: how a waiting CPU relaxes, how
// wide a cache line is assumed to be for padding, and a cheap cycle clock.
// Algorithms spin through cpu_relax()/spin_until() and never issue raw
// instructions themselves.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

namespace lockbench {

#if defined(__x86_64__) || defined(__i386__)
inline constexpr const char* kArchitecture = "x86_64";
inline constexpr const char* kRelaxInstruction = "pause";
inline constexpr const char* kAtomics = "x86 lock-prefixed instructions";
inline constexpr std::size_t kCacheLine = 64;
inline void cpu_relax() { __builtin_ia32_pause(); }
inline std::uint64_t cycle_clock() { return __builtin_ia32_rdtsc(); }
#elif defined(__aarch64__)
inline constexpr const char* kArchitecture = "aarch64";
// yield is a hint the core may ignore; isb stalls for a pipeline flush and is
// what several runtimes use as a shorter, more predictable back-off. The
// build chooses (LOCKBENCH_AARCH64_RELAX), as it chooses how atomics compile
// (LOCKBENCH_AARCH64_ATOMICS: LSE instructions, load/store-exclusive loops,
// or outline helpers that pick at run time).
#if defined(LOCKBENCH_RELAX_ISB)
inline constexpr const char* kRelaxInstruction = "isb";
#else
inline constexpr const char* kRelaxInstruction = "yield";
#endif
inline constexpr const char* kAtomics = LOCKBENCH_ATOMICS;
// Neoverse cores have 64-byte lines but prefetch pairs; pad to 128 so two
// padded objects never share a prefetched pair.
inline constexpr std::size_t kCacheLine = 128;
#if defined(LOCKBENCH_RELAX_ISB)
inline void cpu_relax() { asm volatile("isb" ::: "memory"); }
#else
inline void cpu_relax() { asm volatile("yield" ::: "memory"); }
#endif
inline std::uint64_t cycle_clock() {
  std::uint64_t ticks;
  asm volatile("mrs %0, cntvct_el0" : "=r"(ticks));
  return ticks;
}
#else
#error "lockbench supports x86-64 and aarch64"
#endif

// One object on cache lines of its own (a per-thread record, a flag others
// write), so that it shares no line with its neighbours.
template <typename T>
struct alignas(kCacheLine) Padded {
  template <typename... Args>
  explicit Padded(Args&&... args) : value(std::forward<Args>(args)...) {}
  T value;
};

// Per-thread state that its thread makes for itself starts on a page of
// its own. A thread's malloc arena may be one its process inherited at
// fork: the fork handler has already written the arena's first page (its
// lock) from the coordinator, on the coordinator's NUMA node, and state
// sharing that page would not be on the thread's node (seen on an emulated
// 4-node box: the first page of most threads' contexts on another node).
std::size_t page_size();

struct OwnPagesDelete {
  template <typename T>
  void operator()(T* p) const {
    p->~T();
    ::operator delete (p, std::align_val_t{page_size()});
  }
};

template <typename T>
using OwnPages = std::unique_ptr<T, OwnPagesDelete>;

template <typename T, typename... Args>
OwnPages<T> make_on_own_pages(Args&&... args) {
  void* raw = ::operator new (sizeof(T), std::align_val_t{page_size()});
  try {
    return OwnPages<T>(new (raw) T(std::forward<Args>(args)...));
  } catch (...) {
    ::operator delete (raw, std::align_val_t{page_size()});
    throw;
  }
}

// Spins, relaxing the CPU, until pred() holds. Every busy-wait in lockbench
// goes through here so that the relax policy lives in one place.
template <typename Pred>
inline void spin_until(Pred pred) {
  while (!pred()) cpu_relax();
}

// Converts cycle_clock() ticks to nanoseconds. Calibrated once per process
// against the steady clock (the first call takes about 20 ms, so it is made
// before any window: see harness/measure/calibration.h).
double ns_per_tick();
inline std::uint64_t ticks_to_ns(std::uint64_t ticks) {
  return static_cast<std::uint64_t>(static_cast<double>(ticks) * ns_per_tick());
}

// Nanoseconds on the steady clock, for deadlines (not for hot paths).
std::uint64_t now_ns();

}  // namespace lockbench
