// run_point_isolated: the point runs in a forked child that sends its result
// back as JSON through a pipe; the parent is the watchdog.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "harness/interrupt.h"
#include "harness/platform.h"
#include "harness/run_point.h"

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

[[noreturn]] void child(const RunSpec& spec, const Topology& topology, int fd) {
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

}  // namespace

RunResult run_point_isolated(const RunSpec& spec, const Topology& topology) {
  int fds[2];
  if (pipe(fds) != 0) return RunResult::failed(std::string("pipe: ") + strerror(errno));
  std::fflush(nullptr);  // or the child would print the parent's buffered output again
  const pid_t pid = fork();
  if (pid < 0) return RunResult::failed(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    close(fds[0]);
    child(spec, topology, fds[1]);
  }
  close(fds[1]);

  const double limit_s =
      static_cast<double>(spec.warmup_ms + spec.duration_ms) / 1000.0 + spec.watchdog_s;
  const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(limit_s * 1e9);
  std::string payload;
  bool timed_out = false;
  char buffer[65536];
  for (;;) {
    // Ctrl-C or SIGTERM: the sweep stops; this point is abandoned.
    if (interrupt_signal()) break;
    const std::uint64_t now = now_ns();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>((deadline - now) / 1000000 + 1));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the child closed its end: the result is complete
    payload.append(buffer, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  if (timed_out || interrupt_signal()) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (interrupt_signal()) {
    return RunResult::failed("interrupted by signal " + std::to_string(interrupt_signal()));
  }
  if (timed_out) {
    return RunResult::failed("watchdog: the run did not finish within " + std::to_string(limit_s) +
                             " s (warm-up + duration + " + std::to_string(spec.watchdog_s) +
                             " s grace): a deadlock or a lost wakeup");
  }
  if (payload.empty()) return RunResult::failed(describe_status(status));
  try {
    return RunResult::from_json(nlohmann::json::parse(payload));
  } catch (const std::exception& e) {
    return RunResult::failed(std::string("unreadable result from the run: ") + e.what());
  }
}

}  // namespace lockbench
