// One T per thread of a point, each on pages of its own (make_on_own_pages)
// and made by its own thread in Workload::setup_thread, once the thread is
// pinned: on a NUMA box the memory is then first touched on the thread's own
// node, not on the coordinator's, as the per-CPU data of the modelled system
// is.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "harness/measure/platform.h"
#include "harness/measure/thread_context.h"

namespace lockbench {

template <typename T>
class ThreadSlots {
 public:
  explicit ThreadSlots(std::size_t threads) : slots_(threads) {}

  // The calling thread's own record, which of() then finds through its
  // context (one load, not a walk through this table).
  template <typename... Args>
  T& make_for(ThreadContext& ctx, Args&&... args) {
    T& made = make(static_cast<std::size_t>(ctx.index), std::forward<Args>(args)...);
    ctx.workload_state = &made;
    return made;
  }
  T& of(const ThreadContext& ctx) const { return *static_cast<T*>(ctx.workload_state); }

  // Slot i, made by the thread that owns it (a CPU's tasklets), before the
  // team starts.
  template <typename... Args>
  T& make(std::size_t i, Args&&... args) {
    slots_[i] = make_on_own_pages<Padded<T>>(std::forward<Args>(args)...);
    return slots_[i]->value;
  }

  Padded<T>& operator[](std::size_t i) { return *slots_[i]; }
  const Padded<T>& operator[](std::size_t i) const { return *slots_[i]; }
  std::size_t size() const { return slots_.size(); }

  // Iterates over the slots as Padded<T>&, every slot made by then.
  class Iterator {
   public:
    using Inner = typename std::vector<OwnPages<Padded<T>>>::const_iterator;
    explicit Iterator(Inner it) : it_(it) {}
    Padded<T>& operator*() const { return **it_; }
    Iterator& operator++() {
      ++it_;
      return *this;
    }
    bool operator!=(const Iterator& other) const { return it_ != other.it_; }

   private:
    Inner it_;
  };
  Iterator begin() const { return Iterator(slots_.begin()); }
  Iterator end() const { return Iterator(slots_.end()); }

 private:
  std::vector<OwnPages<Padded<T>>> slots_;
};

}  // namespace lockbench
