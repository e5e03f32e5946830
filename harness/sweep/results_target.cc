#include "harness/sweep/results_target.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "harness/sweep/sweep.h"

namespace lockbench {

namespace {

constexpr const char* kAllowed =
    "allowed: a regular file, a new path in an existing directory, or a symbolic link to a "
    "regular file";

[[noreturn]] void refuse(const std::string& option, const std::string& path, const std::string& why,
                         const std::string& allowed = kAllowed) {
  throw UsageError(option + " " + path + ": " + why + "; " + allowed);
}

std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// The file the path names: itself, or what its symbolic links lead to.
std::string resolve(const std::string& path, const std::string& option) {
  struct stat link;
  if (lstat(path.c_str(), &link) != 0 || !S_ISLNK(link.st_mode)) return path;
  char resolved[PATH_MAX];
  if (!realpath(path.c_str(), resolved)) {
    refuse(option, path,
           std::string("a symbolic link that leads nowhere (") + strerror(errno) + ")");
  }
  return resolved;
}

void check_writable_place(const std::string& path, const std::string& option,
                          const std::vector<std::string>& inputs) {
  struct stat target;
  if (stat(path.c_str(), &target) == 0) {
    if (!S_ISREG(target.st_mode)) refuse(option, path, "is " + kind_of(target.st_mode));
    for (const std::string& input : inputs) {
      struct stat in;
      if (stat(input.c_str(), &in) == 0 && in.st_dev == target.st_dev &&
          in.st_ino == target.st_ino) {
        refuse(option, path, "is " + input + ", an input of this command",
               "allowed: a file that is no input of the command");
      }
    }
  }
  // Each write is a new file renamed into place: the directory must take it.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? "." : parent.string();
  struct stat d;
  if (stat(dir.c_str(), &d) != 0 || !S_ISDIR(d.st_mode)) {
    refuse(option, path, "directory '" + dir + "' does not exist");
  }
  if (access(dir.c_str(), W_OK) != 0) {
    refuse(option, path, "directory '" + dir + "' is not writable (" + strerror(errno) + ")");
  }
}

// "process 1234 (lockbench run --config ...)", from /proc/locks: the flock
// holder of the file's inode.
std::string holder_of(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return "another process";
  char id[64];
  std::snprintf(id, sizeof id, "%02x:%02x:%llu", major(st.st_dev), minor(st.st_dev),
                static_cast<unsigned long long>(st.st_ino));
  // The device there is the file system's, which on some (btrfs
  // subvolumes) is not what stat says: the inode alone is the fallback.
  char inode_text[32];
  std::snprintf(inode_text, sizeof inode_text, ":%llu",
                static_cast<unsigned long long>(st.st_ino));
  const std::string inode_only = inode_text;
  std::string exact, by_inode;
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream fields(line);
    std::string number, type, advisory, mode, pid, inode;
    fields >> number >> type >> advisory >> mode >> pid >> inode;
    if (type != "FLOCK") continue;
    if (inode == id) exact = pid;
    if (inode.size() > inode_only.size() &&
        inode.compare(inode.size() - inode_only.size(), inode_only.size(), inode_only) == 0) {
      by_inode = by_inode.empty() ? pid : "?";  // two candidates: neither
    }
  }
  const std::string pid = !exact.empty() ? exact : by_inode != "?" ? by_inode : "";
  if (pid.empty()) return "another process";
  std::ifstream cmdline("/proc/" + pid + "/cmdline");
  std::string command((std::istreambuf_iterator<char>(cmdline)), {});
  for (char& c : command) c = c == '\0' ? ' ' : c;
  while (!command.empty() && command.back() == ' ') command.pop_back();
  return "process " + pid + (command.empty() ? "" : " (" + command + ")");
}

// Temporaries of earlier writes to path whose process is gone (killed
// between writing and renaming): removed, so nothing half-written stays.
void remove_stale_temporaries(const std::string& path) {
  const std::filesystem::path target(path);
  const std::filesystem::path dir =
      target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  const std::string prefix = target.filename().string() + ".tmp.";
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove(entry.path(), error);
  }
}

bool same_inode(int fd, const std::string& path) {
  struct stat held, named;
  return fstat(fd, &held) == 0 && stat(path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
         held.st_ino == named.st_ino;
}

}  // namespace

ResultsTarget ResultsTarget::claim(const std::string& given, const std::string& option,
                                   const std::vector<std::string>& inputs) {
  const std::string path = resolve(given, option);
  check_writable_place(path, option, inputs);
  // Until the lock is on the inode the name points at: a writer that
  // renamed a new file in between leaves this one holding a stale inode.
  for (;;) {
    bool created = false;
    // Writable, though nothing is written through it: NFS grants an
    // exclusive flock (a POSIX lock there) only on a writable descriptor.
    int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      created = fd >= 0;
      if (fd < 0 && errno == EEXIST) continue;  // another run made it first
    }
    if (fd < 0) refuse(option, given, std::string("cannot be opened (") + strerror(errno) + ")");
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      const std::string holder = error == EWOULDBLOCK ? holder_of(fd) : "";
      close(fd);
      if (holder.empty()) {
        refuse(option, given, std::string("cannot be locked (") + strerror(error) + ")",
               "allowed: a file on a file system that takes advisory locks");
      }
      refuse(option, given, "is being written by " + holder,
             "allowed: a results file no other run is writing");
    }
    if (same_inode(fd, path)) {
      remove_stale_temporaries(path);
      return ResultsTarget(path, fd, created);
    }
    close(fd);
  }
}

ResultsTarget::ResultsTarget(ResultsTarget&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      created_(other.created_),
      written_(other.written_) {}

ResultsTarget::~ResultsTarget() {
  if (fd_ < 0) return;
  if (created_ && !written_ && same_inode(fd_, path_)) unlink(path_.c_str());
  close(fd_);
}

void ResultsTarget::write(const std::string& content) {
  const std::string tmp = path_ + ".tmp." + std::to_string(getpid());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError("cannot write '" + tmp + "': " + strerror(errno));
  const auto fail = [&](const std::string& what) {
    const std::string why = strerror(errno);
    close(fd);
    unlink(tmp.c_str());
    throw IoError("cannot " + what + ": " + why);
  };
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("write '" + tmp + "'");
    done += static_cast<std::size_t>(n);
  }
  // fsync before rename: after a crash the name points at complete data
  // (a full disk can show only here, on file systems that delay allocation).
  if (fsync(fd) != 0) fail("write '" + tmp + "'");
  // The new inode is locked before it takes the name: no moment in which
  // the name points at a file nobody holds.
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) fail("lock '" + tmp + "'");
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) fail("rename '" + tmp + "' to '" + path_ + "'");
  close(fd_);
  fd_ = fd;
  written_ = true;
}

}  // namespace lockbench
