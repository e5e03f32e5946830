// Where a run writes its results: checked before anything runs, and written
// by this process alone.
//
// A results file is a regular file or a new path, never one of the command's
// inputs (its config), never a device, directory or FIFO. A symbolic link is
// written through: its target is the file, and the link stays. The file is
// rewritten atomically (a temporary in the same directory, fsync, rename),
// so readers see the old file or the new one, never half of one.
//
// One file, one writer: the target holds an advisory lock (flock) on the
// file from the claim until the process exits, so a second run on it is
// refused, naming the process that writes it. A rename puts a new inode
// under the name, so the lock is taken on each new file before it is renamed
// into place, and a claim checks, once it holds its lock, that the name still
// points at the inode it locked. A lock dies with its process, kill -9
// included; nothing is left to clean up.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace lockbench {

// A failure of the machine rather than of the user's input (a full disk, an
// I/O error): lockbench exits with kRuntimeFailure (exit_status.h).
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ResultsTarget {
 public:
  // option: how the user named it ("--out"), for messages. inputs: the files
  // this command reads (its config); the target may be none of them.
  // Throws UsageError saying what the path is and what is allowed, or naming
  // the process that holds the file.
  static ResultsTarget claim(const std::string& path, const std::string& option,
                             const std::vector<std::string>& inputs);

  ResultsTarget(ResultsTarget&& other) noexcept;
  ResultsTarget& operator=(ResultsTarget&&) = delete;
  ResultsTarget(const ResultsTarget&) = delete;
  ResultsTarget& operator=(const ResultsTarget&) = delete;
  // A file the claim created and nothing was written to is removed.
  ~ResultsTarget();

  // The file written: the path with symbolic links resolved.
  const std::string& path() const { return path_; }

  // Replaces the file's content atomically. Throws IoError.
  void write(const std::string& content);

 private:
  ResultsTarget(std::string path, int fd, bool created)
      : path_(std::move(path)), fd_(fd), created_(created) {}
  std::string path_;
  int fd_;        // the locked file; -1 once moved from
  bool created_;  // the claim made the (empty) file
  bool written_ = false;
};

}  // namespace lockbench
