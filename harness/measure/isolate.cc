// run_point_isolated: the point runs in a forked child that sends its result
// back as JSON through a pipe; the parent is the watchdog, following the
// child's milestones through shared memory.
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "harness/measure/interrupt.h"
#include "harness/measure/platform.h"
#include "harness/measure/run_point.h"
#include "harness/measure/sched_policy.h"

namespace lockbench {

namespace {

void write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// The point dies with the sweep: killed with SIGKILL when the parent dies
// (kill -9 included), so nothing is left spinning, or hung for ever, under
// init. A parent that died before prctl took effect is caught by its pid.
void die_with_parent(pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
}

[[noreturn]] void child(const RunSpec& spec, const Topology& topology, int fd, pid_t parent) {
  die_with_parent(parent);
  // A process group of its own, so the watchdog's kill reaches all of it.
  setpgid(0, 0);
  std::string payload;
  try {
    payload = run_point(spec, topology).to_json().dump();
  } catch (const std::exception& e) {
    payload = RunResult::failed(std::string("the run threw: ") + e.what()).to_json().dump();
  }
  write_all(fd, payload);
  close(fd);
  _exit(0);  // no atexit handlers: they belong to the parent
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    return "the run crashed with signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "the run exited with status " + std::to_string(WEXITSTATUS(status)) + " without a result";
}

// Memory the child's threads write their milestones to and the parent
// reads, mapped before the fork.
class SharedProgress {
 public:
  SharedProgress()
      : memory_(mmap(nullptr, sizeof(RunProgress), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0)) {
    if (memory_ == MAP_FAILED) throw std::runtime_error(std::string("mmap: ") + strerror(errno));
    progress_ = new (memory_) RunProgress;
  }
  ~SharedProgress() {
    progress_->~RunProgress();
    munmap(memory_, sizeof(RunProgress));
  }
  SharedProgress(const SharedProgress&) = delete;
  SharedProgress& operator=(const SharedProgress&) = delete;
  RunProgress* get() const { return progress_; }

 private:
  void* memory_;
  RunProgress* progress_;
};

// The watchdog's verdict on a child that has not finished.
class Watchdog {
 public:
  Watchdog(const RunSpec& spec, const RunProgress& progress)
      : spec_(spec), progress_(progress), started_ns_(now_ns()), last_change_ns_(started_ns_) {}

  // Why the child must be killed now, or "" while it may go on.
  std::string verdict() {
    const std::uint64_t now = now_ns();
    const std::uint64_t milestones = progress_.milestones();
    if (milestones != last_milestones_) {
      last_milestones_ = milestones;
      last_change_ns_ = now;
    }
    // Before the team starts (fork, allocation, thread creation) and during
    // the window no milestone is due.
    const std::uint64_t window_end = this->window_end();
    const std::uint64_t quiet_since = std::max(window_end, last_change_ns_);
    if (now > quiet_since + seconds_to_ns(spec_.watchdog_s)) {
      return "watchdog: no thread finished its last operation or its drain for " +
             seconds_text(spec_.watchdog_s) + " s (watchdog_s) after the window; " + counts() +
             ": a deadlock or a lost wakeup";
    }
    if (now > window_end + seconds_to_ns(spec_.drain_limit_s)) {
      return "watchdog: the run was still progressing (" + counts() +
             ") but did not finish within " + seconds_text(spec_.drain_limit_s) +
             " s (drain_limit_s) after its window: a slow stop and drain, not a deadlock; "
             "raise drain_limit_s or run fewer threads";
    }
    return "";
  }

  // How long poll() may sleep before the next verdict: through the window
  // in one go, so the watchdog does not wake on the measured machine.
  int poll_ms() const {
    const std::uint64_t now = now_ns();
    const std::uint64_t window_end = this->window_end();
    if (now >= window_end) return 100;
    return static_cast<int>(std::min<std::uint64_t>((window_end - now) / 1000000 + 1, 60000));
  }

 private:
  std::uint64_t window_end() const {
    return std::max(progress_.window_end_ns.load(std::memory_order_relaxed),
                    started_ns_ + (spec_.warmup_ms + spec_.duration_ms) * 1000000);
  }
  static std::uint64_t seconds_to_ns(double s) { return static_cast<std::uint64_t>(s * 1e9); }
  static std::string seconds_text(double s) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", s);
    return text;
  }
  std::string counts() const {
    return std::to_string(progress_.stopped.load(std::memory_order_relaxed)) + " of " +
           std::to_string(spec_.threads) + " threads stopped, " +
           std::to_string(progress_.drained.load(std::memory_order_relaxed)) + " drained";
  }

  const RunSpec& spec_;
  const RunProgress& progress_;
  const std::uint64_t started_ns_;
  std::uint64_t last_change_ns_;
  std::uint64_t last_milestones_ = 0;
};

}  // namespace

RunResult run_point_isolated(const RunSpec& spec, const Topology& topology) {
  // With rr, the watchdog runs above the point's spinners, so that it can
  // kill a hung team even where RT throttling is off; the child starts as
  // SCHED_OTHER (reset on fork) and raises its own coordinator.
  const ControlPriority watchdog_priority(spec.sched == SchedPolicy::rr, true);
  if (const int error = watchdog_priority.error()) {
    return RunResult::failed(std::string("sched: value \"rr\" could not be set: the watchdog was "
                                         "refused SCHED_FIFO priority ") +
                             std::to_string(kControlRtPriority) + " (" + strerror(error) + "); " +
                             kSchedRemedy);
  }
  int fds[2];
  if (pipe(fds) != 0) return RunResult::failed(std::string("pipe: ") + strerror(errno));
  SharedProgress progress;
  RunSpec child_spec = spec;
  child_spec.progress = progress.get();
  const pid_t parent = getpid();
  std::fflush(nullptr);  // or the child would print the parent's buffered output again
  const pid_t pid = fork();
  if (pid < 0) return RunResult::failed(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    close(fds[0]);
    child(child_spec, topology, fds[1], parent);
  }
  setpgid(pid, pid);  // as the child does: whichever runs first
  close(fds[1]);

  Watchdog watchdog(spec, *progress.get());
  std::string payload, stuck;
  char buffer[65536];
  for (;;) {
    // Ctrl-C or SIGTERM: the sweep stops; this point is abandoned.
    if (interrupt_signal()) break;
    stuck = watchdog.verdict();
    if (!stuck.empty()) break;
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, watchdog.poll_ms());
    if (ready <= 0) continue;  // a timeout, or EINTR
    const ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the child closed its end: the result is complete
    payload.append(buffer, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  if (!stuck.empty() || interrupt_signal()) kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (interrupt_signal()) {
    return RunResult::failed("interrupted by signal " + std::to_string(interrupt_signal()));
  }
  if (!stuck.empty()) return RunResult::failed(stuck);
  if (payload.empty()) return RunResult::failed(describe_status(status));
  try {
    return RunResult::from_json(nlohmann::json::parse(payload));
  } catch (const std::exception& e) {
    return RunResult::failed(std::string("unreadable result from the run: ") + e.what());
  }
}

}  // namespace lockbench
