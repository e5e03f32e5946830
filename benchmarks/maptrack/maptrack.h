// Grant-table maptrack handles, shared by every variant: entries live in
// pages of 256 ("frames"), allocated up to a cap; a free entry's ref holds the
// index of the next free entry, and TAIL (~0u) ends a list. Each entry
// records the vCPU whose free list it belongs to. Storage for the cap is
// reserved up front so that growing never moves an entry another thread reads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace lockbench::maptrack {

// The family's lock classes (named in family.cc): the global design's
// maptrack lock, the grant-table lock the per-vCPU design takes to grow, and
// its per-vCPU free-list lock (locked design).
enum LockClass : int { kMaptrackLock, kGrantLock, kFreelistLock, kLockClasses };

inline constexpr std::uint32_t kTail = ~0u;
inline constexpr std::uint32_t kPerFrame = 256;

struct Entry {
  std::atomic<std::uint32_t> ref{kTail};  // next free entry while free
  std::atomic<int> owner{0};              // the vCPU whose list it returns to
  // Non-zero while mapped: Xen's map fills the entry (flags, domid, ref) and
  // the unmap that frees it clears its flags, so the workload writes this
  // line on every get and put whether or not it checks anything.
  std::atomic<std::uint32_t> flags{0};
};

class Entries {
 public:
  explicit Entries(std::uint32_t max_frames)
      : max_frames_(max_frames), entries_(new Entry[std::size_t{max_frames} * kPerFrame]) {}

  Entry& operator[](std::uint32_t handle) { return entries_[handle]; }
  const Entry& operator[](std::uint32_t handle) const { return entries_[handle]; }
  std::uint32_t max_frames() const { return max_frames_; }
  // Frames handed out so far; written under the domain's grant lock.
  std::uint32_t frames() const { return frames_.load(std::memory_order_acquire); }

  // Claims the next frame (caller holds the grant lock): its entries chained
  // 1 -> 2 -> ... -> 255 -> `last_ref`, owned by `owner`. Returns its first
  // handle, or kTail at the cap.
  std::uint32_t add_frame(int owner, std::uint32_t last_ref) {
    const std::uint32_t frame = frames_.load(std::memory_order_relaxed);
    if (frame >= max_frames_) return kTail;
    const std::uint32_t base = frame * kPerFrame;
    for (std::uint32_t i = 0; i < kPerFrame; ++i) {
      entries_[base + i].owner.store(owner, std::memory_order_relaxed);
      entries_[base + i].ref.store(i + 1 < kPerFrame ? base + i + 1 : last_ref,
                                   std::memory_order_relaxed);
    }
    // Release: whoever sees the new frame count sees initialised entries.
    frames_.store(frame + 1, std::memory_order_release);
    return base;
  }

 private:
  const std::uint32_t max_frames_;
  std::unique_ptr<Entry[]> entries_;
  std::atomic<std::uint32_t> frames_{0};
};

// What get() reports besides the handle.
struct Got {
  std::uint32_t handle = kTail;  // kTail: none to be had
  bool grew = false;             // took the slow path and added a frame
  bool stole = false;            // took it from another vCPU's list
};

}  // namespace lockbench::maptrack
