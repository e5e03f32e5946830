#include "harness/measure/os_activity.h"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>

#include "harness/measure/platform.h"

namespace lockbench {

namespace {

// A counting (not sampling) event of the calling thread, on whichever CPU
// it runs, user and kernel alike: a futex wait is part of the lock's cost.
// Only hardware events are opened: a thread with perf events pays for
// switching their context at each of its context switches, inside the
// window, which counting cycles needs and counting switches does not.
int open_event(std::uint64_t config, int group) {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = config;
  attr.exclude_hv = 1;
  attr.read_format = PERF_FORMAT_GROUP;
  return static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, group, PERF_FLAG_FD_CLOEXEC));
}

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// "voluntary_ctxt_switches:\t12" and its involuntary twin, for one thread.
bool read_switches(pid_t tid, std::uint64_t& voluntary, std::uint64_t& involuntary) {
  std::ifstream status("/proc/self/task/" + std::to_string(tid) + "/status");
  std::string key;
  int found = 0;
  while (status >> key) {
    if (key == "voluntary_ctxt_switches:") {
      found += static_cast<bool>(status >> voluntary);
    } else if (key == "nonvoluntary_ctxt_switches:") {
      found += static_cast<bool>(status >> involuntary);
    }
  }
  return found == 2;
}

// "se.nr_migrations   :   3" in the scheduler's debug view of the thread
// (CONFIG_SCHED_DEBUG, which distribution kernels enable).
bool read_migrations(pid_t tid, std::uint64_t& migrations) {
  std::ifstream sched("/proc/self/task/" + std::to_string(tid) + "/sched");
  std::string key, colon;
  while (sched >> key) {
    if (key == "se.nr_migrations") return static_cast<bool>(sched >> colon >> migrations);
  }
  return false;
}

}  // namespace

ThreadOsCounters ThreadOsCounters::open_for_this_thread() {
  ThreadOsCounters c;
  c.tid_ = static_cast<pid_t>(syscall(SYS_gettid));
  c.hardware_fd_ = open_event(PERF_COUNT_HW_CPU_CYCLES, -1);
  if (c.hardware_fd_ >= 0) {
    c.hardware_members_[0] = open_event(PERF_COUNT_HW_INSTRUCTIONS, c.hardware_fd_);
    c.hardware_members_[1] = open_event(PERF_COUNT_HW_CACHE_MISSES, c.hardware_fd_);
    // All three or none: a per-op figure needs its cycles.
    if (c.hardware_members_[0] < 0 || c.hardware_members_[1] < 0) {
      for (int& fd : c.hardware_members_) close_fd(fd);
      close_fd(c.hardware_fd_);
    }
  }
  return c;
}

ThreadOsCounters::ThreadOsCounters(ThreadOsCounters&& other) noexcept { *this = std::move(other); }

ThreadOsCounters& ThreadOsCounters::operator=(ThreadOsCounters&& other) noexcept {
  std::swap(tid_, other.tid_);
  std::swap(hardware_fd_, other.hardware_fd_);
  std::swap(hardware_members_, other.hardware_members_);
  return *this;
}

ThreadOsCounters::~ThreadOsCounters() {
  for (int& fd : hardware_members_) close_fd(fd);
  close_fd(hardware_fd_);
}

ThreadOsCounters::Reading ThreadOsCounters::read() const {
  Reading r;
  r.ns = now_ns();
  r.switches_known = tid_ != 0 && read_switches(tid_, r.voluntary, r.involuntary);
  r.migrations_known = tid_ != 0 && read_migrations(tid_, r.migrations);
  if (hardware_fd_ >= 0) {
    // PERF_FORMAT_GROUP: the number of events, then each one's value.
    std::uint64_t group[4] = {};
    r.hardware_known = ::read(hardware_fd_, group, sizeof group) == sizeof group && group[0] == 3;
    for (std::size_t i = 0; i < r.hardware.size(); ++i) r.hardware[i] = group[i + 1];
  }
  return r;
}

OsActivity OsActivity::between(const std::vector<ThreadOsCounters::Reading>& before,
                               const std::vector<ThreadOsCounters::Reading>& after,
                               std::uint64_t ops) {
  std::uint64_t voluntary = 0, involuntary = 0, migrations = 0, span_ns = 0;
  std::array<std::uint64_t, 3> hardware{};
  bool switches = !before.empty(), migrated = switches, counted = switches;
  for (std::size_t i = 0; i < before.size(); ++i) {
    const ThreadOsCounters::Reading &b = before[i], &a = after[i];
    switches = switches && b.switches_known && a.switches_known;
    migrated = migrated && b.migrations_known && a.migrations_known;
    counted = counted && b.hardware_known && a.hardware_known;
    voluntary += a.voluntary - b.voluntary;
    involuntary += a.involuntary - b.involuntary;
    migrations += a.migrations - b.migrations;
    for (std::size_t e = 0; e < hardware.size(); ++e) hardware[e] += a.hardware[e] - b.hardware[e];
    span_ns += a.ns - b.ns;
  }
  OsActivity activity;
  const double per_op = ops > 0 ? 1.0 / static_cast<double>(ops) : 0.0;
  if (switches) {
    activity.scheduler = {
        {"voluntary_switches", voluntary},
        {"involuntary_switches", involuntary},
        {"migrations", migrated ? nlohmann::json(migrations) : nlohmann::json("not available")},
        {"switches_per_op", static_cast<double>(voluntary + involuntary) * per_op},
        // Each thread's counts span from its reading before the window to
        // its reading after: the window and the time the readings took.
        {"seconds", static_cast<double>(span_ns) * 1e-9 / static_cast<double>(before.size())}};
  }
  if (counted) {
    activity.hardware = {{"cycles_per_op", static_cast<double>(hardware[0]) * per_op},
                         {"instructions_per_op", static_cast<double>(hardware[1]) * per_op},
                         {"cache_misses_per_op", static_cast<double>(hardware[2]) * per_op}};
  }
  return activity;
}

}  // namespace lockbench
