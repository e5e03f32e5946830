#include "harness/measure/sched_policy.h"

#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace lockbench {

namespace {

// sched_getattr(2)'s record (the first version's 56 bytes; the kernel fills
// what it knows of a larger one). glibc before 2.41 has no wrapper.
struct SchedAttr {
  std::uint32_t size;
  std::uint32_t sched_policy;
  std::uint64_t sched_flags;
  std::int32_t sched_nice;
  std::uint32_t sched_priority;
  std::uint64_t sched_runtime;  // SCHED_OTHER, 6.12 and later: the thread's slice
  std::uint64_t sched_deadline;
  std::uint64_t sched_period;
  std::uint32_t sched_util_min;
  std::uint32_t sched_util_max;
};

int set_self(int policy, int priority) {
  sched_param param{};
  param.sched_priority = priority;
  return pthread_setschedparam(pthread_self(), policy, &param);
}

std::string error_text(int error) {
  return std::string(std::strerror(error)) + (error == EPERM ? " (EPERM)" : "");
}

}  // namespace

SchedPolicy parse_sched(const std::string& text) {
  if (text == "other") return SchedPolicy::other;
  if (text == "rr") return SchedPolicy::rr;
  throw std::invalid_argument("sched '" + text + "' is not allowed; allowed: " + kSchedAllowed);
}

const char* to_string(SchedPolicy policy) { return policy == SchedPolicy::rr ? "rr" : "other"; }

int set_measured_policy(SchedPolicy policy) {
  if (policy == SchedPolicy::rr) return set_self(SCHED_RR, kMeasuredRtPriority);
  // A thread that already runs SCHED_OTHER, as an ordinary process's do, is
  // left alone: a point of the default policy runs as it did before there
  // was a choice. One that inherited another policy (lockbench run under
  // chrt) is set.
  const int current = sched_getscheduler(0);
  if (current >= 0 && (current & ~SCHED_RESET_ON_FORK) == SCHED_OTHER) return 0;
  return set_self(SCHED_OTHER, 0);
}

std::uint64_t own_slice_ns(SchedPolicy policy) {
  if (policy == SchedPolicy::rr) {
    timespec interval{};
    if (sched_rr_get_interval(0, &interval) != 0) return 0;
    return static_cast<std::uint64_t>(interval.tv_sec) * 1000000000ULL +
           static_cast<std::uint64_t>(interval.tv_nsec);
  }
  // sched_rr_get_interval would answer for SCHED_OTHER too, but in whole
  // jiffies: 0 for a 1.4 ms slice at HZ=250.
  SchedAttr attr{};
  if (syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) != 0) return 0;
  return attr.sched_runtime;
}

nlohmann::json slice_record(SchedPolicy policy, std::uint64_t thread_slice_ns,
                            const std::string& base_slice_path) {
  if (policy == SchedPolicy::rr) {
    if (thread_slice_ns > 0) return {{"ns", thread_slice_ns}, {"from", "sched_rr_get_interval"}};
    return {{"ns", nullptr}, {"why", "sched_rr_get_interval gave no interval"}};
  }
  std::ifstream file(base_slice_path);
  std::uint64_t base = 0;
  if (file >> base && base > 0) return {{"ns", base}, {"from", base_slice_path}};
  const std::string unread =
      base_slice_path + (file.is_open() ? " held no number" : " cannot be read") +
      " (debugfs not mounted or not readable, or a kernel before 6.6, whose CFS has latency_ns "
      "and min_granularity_ns instead)";
  if (thread_slice_ns > 0) {
    return {{"ns", thread_slice_ns}, {"from", "sched_getattr"}};
  }
  return {
      {"ns", nullptr},
      {"why", unread + "; sched_getattr gave no slice (kernels before 6.12 do not report one)"}};
}

ControlPriority::ControlPriority(bool raise, bool reset_on_fork) {
  if (!raise) return;
  const int policy = sched_getscheduler(0);
  sched_param param{};
  if (policy < 0 || sched_getparam(0, &param) != 0) {
    error_ = errno;
    return;
  }
  const int base = policy & ~SCHED_RESET_ON_FORK;
  const bool realtime = base == SCHED_FIFO || base == SCHED_RR;
  if (realtime && param.sched_priority >= kControlRtPriority) return;
  policy_ = policy;
  priority_ = param.sched_priority;
  sched_param control{};
  control.sched_priority = kControlRtPriority;
  // sched_setscheduler(0, ...): the calling thread, on Linux.
  if (sched_setscheduler(0, SCHED_FIFO | (reset_on_fork ? SCHED_RESET_ON_FORK : 0), &control) !=
      0) {
    error_ = errno;
    return;
  }
  raised_ = true;
  reset_on_fork_ = reset_on_fork && !(policy & SCHED_RESET_ON_FORK);
}

ControlPriority::~ControlPriority() {
  if (!raised_) return;
  sched_param param{};
  param.sched_priority = priority_;
  // Only a privileged thread may clear SCHED_RESET_ON_FORK; another keeps it
  // (a SCHED_OTHER process whose children then start at nice 0 or above).
  if (sched_setscheduler(0, policy_, &param) != 0 && reset_on_fork_) {
    sched_setscheduler(0, policy_ | SCHED_RESET_ON_FORK, &param);
  }
}

std::string sched_refusal(SchedPolicy policy) {
  if (policy == SchedPolicy::other) return "";
  std::string refused;
  std::thread probe([&] {
    if (const int error = set_self(SCHED_FIFO, kControlRtPriority)) {
      refused = "SCHED_FIFO priority " + std::to_string(kControlRtPriority) +
                " (the harness's control threads) was refused: " + error_text(error);
    } else if (const int rr_error = set_measured_policy(SchedPolicy::rr)) {
      refused = "SCHED_RR priority " + std::to_string(kMeasuredRtPriority) +
                " (the measured threads) was refused: " + error_text(rr_error);
    }
  });
  probe.join();
  return refused;
}

std::string rt_throttling() {
  std::ifstream runtime_file("/proc/sys/kernel/sched_rt_runtime_us");
  std::ifstream period_file("/proc/sys/kernel/sched_rt_period_us");
  long long runtime = 0, period = 0;
  if (!(runtime_file >> runtime) || !(period_file >> period)) return "unknown";
  if (runtime < 0) return "off";
  return std::to_string(runtime) + " of every " + std::to_string(period) + " us";
}

}  // namespace lockbench
