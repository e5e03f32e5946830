// lockbench's exit statuses, in one place: `lockbench --help` and the README
// list them for the user.
#pragma once

#include <exception>
#include <utility>

namespace lockbench {

// kRuntimeFailure is apart from kBadUsage so that a script can tell a
// command line to fix from a machine to retry on (or later).
enum ExitStatus : int {
  kSuccess = 0,
  kPointFailed = 1,
  kBadUsage = 2,
  kRuntimeFailure = 3,
};

// Each status and what it means, for `lockbench --help`. A sweep stopped by
// SIGINT or SIGTERM exits with 128 + the signal (130, 143), as a shell
// reports a process the signal killed; the help says so after these.
inline constexpr std::pair<int, const char*> kExitStatusMeanings[] = {
    {kSuccess, "success: every point measured was valid"},
    {kPointFailed, "a point failed (run): an invariant violation, a hang, a thread not placed"},
    {kBadUsage, "bad usage, a bad config or input file; the message says what is allowed"},
    {kRuntimeFailure, "a runtime failure: a full disk, an I/O error, a resource refused"},
};

// The status of a command that ended with an exception: kBadUsage for a
// UsageError, kRuntimeFailure for anything else.
int exit_status_of(const std::exception& e);

}  // namespace lockbench
