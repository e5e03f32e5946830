// The scheduling policy of a point's measured threads (`sched` in configs),
// and the harness's own control threads above them. Oversubscribed points
// stand in for a hypervisor's vCPU scheduler with Linux's; the slices each
// policy gives, and how they compare with Xen's, are in
// docs/methodology.md ("Oversubscription and placement").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace lockbench {

enum class SchedPolicy {
  other,  // SCHED_OTHER: the kernel's fair scheduler (EEVDF, CFS before 6.6)
  rr,     // SCHED_RR at kMeasuredRtPriority: real-time round robin
};

// "other" or "rr"; throws std::invalid_argument naming the text and what is
// allowed.
SchedPolicy parse_sched(const std::string& text);
const char* to_string(SchedPolicy policy);
inline constexpr const char* kSchedAllowed =
    "\"other\" (SCHED_OTHER, the kernel's fair scheduler) or \"rr\" (SCHED_RR priority 1)";

// Real-time priorities (1..99, higher runs first). Measured threads of an rr
// point run at the lowest; the harness's control threads (the coordinator
// that opens and closes the window, the watchdog) run above them as
// SCHED_FIFO, so that they wake on time when spinners hold every CPU: a
// SCHED_OTHER thread would wait for RT throttling to give it a turn, up to
// 0.95 s of every second.
inline constexpr int kMeasuredRtPriority = 1;
inline constexpr int kControlRtPriority = 2;

// Sets the calling thread's policy as a measured thread of a point with this
// policy (pthread_setschedparam): SCHED_OTHER (its nice value kept), or
// SCHED_RR at kMeasuredRtPriority. Returns 0 or the error number.
int set_measured_policy(SchedPolicy policy);

// The slice the calling thread gets under its policy, in ns, or 0 where the
// kernel does not say: SCHED_RR's from sched_rr_get_interval(2); a
// SCHED_OTHER thread's EEVDF slice from sched_getattr(2)'s sched_runtime
// (kernels 6.12 and later report it; earlier ones report 0).
std::uint64_t own_slice_ns(SchedPolicy policy);

// Where a repetition's `sched_slice` says the slice came from, or why it is
// null (docs/results-format.md): rr, the measured thread's
// sched_rr_get_interval; other, the kernel's base slice from debugfs, else
// the measured thread's own (thread_slice_ns, from own_slice_ns), else
// {"ns": null, "why": ...}.
nlohmann::json slice_record(
    SchedPolicy policy, std::uint64_t thread_slice_ns,
    const std::string& base_slice_path = "/sys/kernel/debug/sched/base_slice_ns");

// For the duration of its life, the calling thread runs as a control thread
// (SCHED_FIFO at kControlRtPriority) when `raise` is true and it does not
// already run at that real-time priority or above; then what it was is
// restored. reset_on_fork: a process it forks starts as SCHED_OTHER
// (SCHED_RESET_ON_FORK), as the watchdog's child must.
class ControlPriority {
 public:
  ControlPriority(bool raise, bool reset_on_fork);
  ~ControlPriority();
  ControlPriority(const ControlPriority&) = delete;
  ControlPriority& operator=(const ControlPriority&) = delete;
  // 0, or the error number of the refused raise.
  int error() const { return error_; }

 private:
  bool raised_ = false;
  bool reset_on_fork_ = false;
  int policy_ = 0;  // as sched_getscheduler(2) gave it
  int priority_ = 0;
  int error_ = 0;
};

// "" when this process may run points with `policy` (measured threads and
// control threads alike), else what was refused and why: a probe on a
// thread of its own, which then exits, so the caller is left as it was.
std::string sched_refusal(SchedPolicy policy);

// What to do when the kernel refuses a real-time policy.
inline constexpr const char* kSchedRemedy =
    "run lockbench as root or with CAP_SYS_NICE, or raise RLIMIT_RTPRIO to 2 or more (ulimit -r "
    "2; rtprio in /etc/security/limits.conf); in a cgroup with CONFIG_RT_GROUP_SCHED the group "
    "needs real-time runtime (cpu.rt_runtime_us)";

// The kernel's RT throttling as lockbench found it: "950000 of every 1000000
// us" (what real-time threads may use of each period on a CPU), "off"
// (sched_rt_runtime_us -1), or "unknown".
std::string rt_throttling();

}  // namespace lockbench
