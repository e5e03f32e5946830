// Where results are written: only regular files and new paths, never an
// input, through symbolic links, atomically, by one run at a time.
#include "harness/sweep/results_target.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "harness/sweep/sweep.h"
#include "tests/temp_dir.h"

namespace lockbench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class ResultsTargetTest : public TempDirTest {
 protected:
  // The message of the UsageError that claiming path throws ("" if none).
  std::string Refusal(const std::string& path, const std::vector<std::string>& inputs = {}) {
    try {
      ResultsTarget::claim(path, "--out", inputs);
    } catch (const UsageError& e) {
      return e.what();
    }
    return "";
  }
};

TEST_F(ResultsTargetTest, WritesAtomicallyAndLeavesNoTemporary) {
  const std::string path = dir_ + "/out.json";
  ResultsTarget target = ResultsTarget::claim(path, "--out", {});
  target.write(R"({"a": 1})");
  EXPECT_THAT(Files(), ElementsAre("out.json"));
  target.write(std::string(10000, ' ') + "[]");
  target.write(R"({"b": [1, 2]})");
  EXPECT_THAT(Files(), ElementsAre("out.json"));
  EXPECT_EQ(Read(path), R"({"b": [1, 2]})");
}

TEST_F(ResultsTargetTest, ANewFileNothingWasWrittenToIsRemoved) {
  const std::string path = dir_ + "/never.json";
  { ResultsTarget target = ResultsTarget::claim(path, "--out", {}); }
  EXPECT_TRUE(Files().empty());
  // An existing file stays as it was.
  std::ofstream(path) << "kept";
  { ResultsTarget target = ResultsTarget::claim(path, "--out", {}); }
  EXPECT_EQ(Read(path), "kept");
}

TEST_F(ResultsTargetTest, AMissingDirectoryIsRefusedNamingIt) {
  const std::string refusal = Refusal(dir_ + "/missing/out.json");
  EXPECT_THAT(refusal, HasSubstr("missing/out.json"));
  EXPECT_THAT(refusal, HasSubstr("does not exist"));
  EXPECT_TRUE(Files().empty());
}

TEST_F(ResultsTargetTest, DevicesDirectoriesAndFifosAreRefused) {
  EXPECT_THAT(Refusal("/dev/null"), HasSubstr("is a character device; allowed: a regular file"));
  EXPECT_THAT(Refusal(dir_), HasSubstr("is a directory"));
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THAT(Refusal(fifo), HasSubstr("is a FIFO"));
  struct stat st;
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST_F(ResultsTargetTest, AnInputOfTheCommandIsRefusedByAnyName) {
  const std::string config = dir_ + "/config.json";
  std::ofstream(config) << "{}";
  EXPECT_THAT(Refusal(config, {config}), HasSubstr("an input of this command"));
  const std::string other_name = dir_ + "/hardlink.json";
  ASSERT_EQ(link(config.c_str(), other_name.c_str()), 0);
  EXPECT_THAT(Refusal(other_name, {config}), HasSubstr("an input of this command"));
  EXPECT_EQ(Read(config), "{}");
}

TEST_F(ResultsTargetTest, ASymbolicLinkIsWrittenThrough) {
  const std::string real = dir_ + "/real.json";
  const std::string link = dir_ + "/link.json";
  std::ofstream(real) << "old";
  ASSERT_EQ(symlink("real.json", link.c_str()), 0);
  ResultsTarget target = ResultsTarget::claim(link, "--out", {});
  target.write("new");
  struct stat st;
  ASSERT_EQ(lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(Read(real), "new");
  EXPECT_THAT(Files(), UnorderedElementsAre("real.json", "link.json"));
  // A link to the config is the config.
  EXPECT_THAT(Refusal(link, {real}), HasSubstr("an input of this command"));
}

TEST_F(ResultsTargetTest, ALinkThatLeadsNowhereIsRefused) {
  const std::string link = dir_ + "/dangling.json";
  ASSERT_EQ(symlink("nothing-here.json", link.c_str()), 0);
  EXPECT_THAT(Refusal(link), HasSubstr("leads nowhere"));
}

// flock conflicts between two opens of the file in one process as between
// two processes, so a second claim here stands for a second run.
TEST_F(ResultsTargetTest, ASecondWriterIsRefusedNamingTheFirst) {
  const std::string path = dir_ + "/results.json";
  ResultsTarget first = ResultsTarget::claim(path, "--out", {});
  const std::string me = "process " + std::to_string(getpid());
  EXPECT_THAT(Refusal(path), HasSubstr("is being written by " + me));
  // Still held after a write renamed a new file into place.
  first.write("{}");
  EXPECT_THAT(Refusal(path), HasSubstr("is being written by " + me));
  // Through another name of it too.
  const std::string link = dir_ + "/link.json";
  ASSERT_EQ(symlink("results.json", link.c_str()), 0);
  EXPECT_THAT(Refusal(link), HasSubstr("is being written by"));
}

TEST_F(ResultsTargetTest, TheLockEndsWithTheWriter) {
  const std::string path = dir_ + "/results.json";
  { ResultsTarget::claim(path, "--out", {}).write("{}"); }
  EXPECT_EQ(Refusal(path), "");
  // A writer killed outright leaves no lock either.
  int held[2];
  ASSERT_EQ(pipe(held), 0);
  const pid_t child = fork();
  if (child == 0) {
    ResultsTarget target = ResultsTarget::claim(path, "--out", {});
    (void)!write(held[1], "x", 1);
    pause();
    _exit(0);
  }
  char byte;
  ASSERT_EQ(read(held[0], &byte, 1), 1);
  EXPECT_THAT(Refusal(path), HasSubstr("is being written by process " + std::to_string(child)));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(Refusal(path), "");
}

// A process killed between writing its temporary and renaming it leaves the
// temporary behind; the next claim of that name removes it, but not the
// temporary of a process still alive.
TEST_F(ResultsTargetTest, TemporariesOfDeadProcessesAreRemoved) {
  const std::string path = dir_ + "/results.json";
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  std::ofstream(path + ".tmp." + std::to_string(dead)) << "{\"half\":";
  std::ofstream(path + ".tmp." + std::to_string(getppid())) << "{";
  ResultsTarget target = ResultsTarget::claim(path, "--out", {});
  target.write("{}");
  EXPECT_THAT(Files(), UnorderedElementsAre("results.json",
                                            "results.json.tmp." + std::to_string(getppid())));
}

}  // namespace
}  // namespace lockbench
