// Blocking a thread on a 32-bit word, the user-space analogue of a vCPU
// blocking in the hypervisor (Xen's poll on an event channel, KVM's HLT) and
// being kicked awake by another vCPU.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace lockbench {

// Sleeps while *word == expected. Returns at once if the value differs
// (that check is atomic with going to sleep, which is what makes a kick sent
// before the sleep impossible to lose), on a wake, or spuriously.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected);

// The same, but wakes by itself after timeout at the latest (a blocked vCPU's
// timer tick).
void futex_wait_for(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                    std::chrono::nanoseconds timeout);

// Wakes at most one thread sleeping on word.
void futex_wake_one(std::atomic<std::uint32_t>& word);

}  // namespace lockbench
