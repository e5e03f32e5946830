// `sched: rr` (harness/measure/sched_policy.h): the measured threads run as
// the point says before its window opens, each repetition records the
// slice, the coordinator and the watchdog stay on time above spinners that
// outnumber the CPUs, and a process that may not use real-time policies is
// told what to do. The rr runs are skipped where this process may not set
// SCHED_RR; the refusals are provoked in child processes that drop the
// right (CAP_SYS_NICE, RLIMIT_RTPRIO), so they run as root too.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness/measure/family.h"
#include "harness/measure/placement.h"
#include "harness/measure/platform.h"
#include "harness/measure/run_point.h"
#include "harness/measure/sched_policy.h"
#include "harness/measure/topology.h"
#include "tests/run_spec.h"
#include "tests/temp_dir.h"

namespace lockbench {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using json = nlohmann::json;

// Threads that spin (they never block, as a spinlock's waiters do not) and
// note, in setup_thread (after the harness has set their policy, before the
// start barrier), the policy and priority they run with; the check at
// quiescence compares them with what the variant expects.
class PolicyProbeWorkload final : public LoopedWorkload<PolicyProbeWorkload> {
 public:
  PolicyProbeWorkload(int policy, int priority) : policy_(policy), priority_(priority) {}

  void setup_thread(ThreadContext&) override {
    sched_param param{};
    const int policy = sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
    sched_getparam(0, &param);
    const std::lock_guard<std::mutex> lock(mutex_);
    seen_.emplace_back(policy, param.sched_priority);
  }

  std::uint64_t operation(ThreadContext&) {
    for (int i = 0; i < 100; ++i) cpu_relax();
    return 1;
  }

  std::string check_invariants(const std::vector<ThreadContext*>& threads) override {
    if (seen_.size() != threads.size()) return "not every thread noted its policy";
    for (const auto& [policy, priority] : seen_) {
      if (policy != policy_ || priority != priority_) {
        return "a thread ran with policy " + std::to_string(policy) + " priority " +
               std::to_string(priority) + ", not " + std::to_string(policy_) + " priority " +
               std::to_string(priority_);
      }
    }
    return "";
  }

 private:
  const int policy_;
  const int priority_;
  std::mutex mutex_;
  std::vector<std::pair<int, int>> seen_;
};

FamilyInfo PolicyProbeInfo() {
  return FamilyInfo{
      .name = "policy_probe",
      .summary = "spinning threads that note their scheduling policy",
      .variants = {{"expect_rr", VariantKind::reference, "threads must run SCHED_RR priority 1",
                    [](const Params&, const std::vector<int>&) {
                      return std::make_unique<PolicyProbeWorkload>(SCHED_RR, kMeasuredRtPriority);
                    }},
                   {"expect_other", VariantKind::reference, "threads must run SCHED_OTHER",
                    [](const Params&, const std::vector<int>&) {
                      return std::make_unique<PolicyProbeWorkload>(SCHED_OTHER, 0);
                    }}},
      .params = {},
      .counter_names = {},
      .lock_classes = {},
      .report = {.operation = "spins"},
  };
}

// The calling thread's policy, without the reset-on-fork flag.
int OwnPolicy() { return sched_getscheduler(0) & ~SCHED_RESET_ON_FORK; }

// /proc/sys/kernel/sched_rr_timeslice_ms in ns, or 0.
std::uint64_t RrTimesliceNs() {
  std::ifstream file("/proc/sys/kernel/sched_rr_timeslice_ms");
  std::uint64_t ms = 0;
  file >> ms;
  return ms * 1000000;
}

class SchedTest : public ::testing::Test {
 protected:
  SchedTest() : topo_(Topology::load("")) {}

  // More spinning threads than CPUs: 4 per PU, unpinned.
  RunSpec Oversubscribed(const std::string& variant, SchedPolicy sched) const {
    RunSpec spec = SpecOf(family_, variant, 4 * static_cast<int>(topo_.pus().size()));
    spec.sched = sched;
    spec.warmup_ms = kWarmupMs;
    spec.duration_ms = kWindowMs;
    return spec;
  }

  // The window as the coordinator timed it is the asked one, give or take a
  // wake-up, and the run as a whole takes little more than its warm-up and
  // window: a coordinator left as SCHED_OTHER below RT spinners wakes when
  // RT throttling lets it, up to 0.95 s late. (The probe's threads stop as
  // soon as they run, so the drain is short.)
  static void ExpectWindowOnTime(const RunResult& r) {
    EXPECT_LT(r.seconds, kWindowMs * 1e-3 + 0.05) << "the coordinator woke late";
  }
  static void ExpectOnTime(std::chrono::steady_clock::duration elapsed) {
    EXPECT_LT(elapsed, std::chrono::milliseconds(kWarmupMs + kWindowMs + 500))
        << "the coordinator woke late";
  }

  static constexpr std::uint64_t kWarmupMs = 20;
  static constexpr std::uint64_t kWindowMs = 200;
  Family family_{PolicyProbeInfo()};
  Topology topo_;
};

#define SKIP_WITHOUT_RR()                                                           \
  do {                                                                              \
    const std::string why = sched_refusal(SchedPolicy::rr);                         \
    if (!why.empty()) GTEST_SKIP() << "this process may not use SCHED_RR: " << why; \
  } while (0)

// What the point asks, isolated as a sweep runs it: 4 spinners per CPU, all
// SCHED_RR, and the window still closes on time. Throughput is not judged:
// with 100 ms slices a short window may see few operations, or none.
TEST_F(SchedTest, RrThreadsRunAsRrAndTheSliceIsRecorded) {
  SKIP_WITHOUT_RR();
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = run_point_isolated(Oversubscribed("expect_rr", SchedPolicy::rr), topo_);
  ExpectOnTime(std::chrono::steady_clock::now() - start);
  ASSERT_TRUE(r.valid) << r.error;
  EXPECT_EQ(r.sched_slice.at("from"), "sched_rr_get_interval");
  const auto ns = r.sched_slice.at("ns").get<std::uint64_t>();
  if (const std::uint64_t sysctl = RrTimesliceNs(); sysctl > 0) {
    // The kernel keeps the slice in jiffies (10 ms at HZ=100).
    EXPECT_NEAR(static_cast<double>(ns), static_cast<double>(sysctl), 10e6);
  } else {
    EXPECT_GT(ns, 0u);
  }
  ExpectWindowOnTime(r);
  EXPECT_EQ(OwnPolicy(), SCHED_OTHER) << "the watchdog's priority was not given back";
}

// In the calling process, the calling thread is the coordinator: raised for
// the run, given back after it.
TEST_F(SchedTest, TheCoordinatorRunsAboveTheSpinnersAndComesBack) {
  SKIP_WITHOUT_RR();
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = run_point(Oversubscribed("expect_rr", SchedPolicy::rr), topo_);
  ExpectOnTime(std::chrono::steady_clock::now() - start);
  ASSERT_TRUE(r.valid) << r.error;
  ExpectWindowOnTime(r);
  EXPECT_EQ(OwnPolicy(), SCHED_OTHER);
}

// The control priority itself, with nothing else of the harness: 4 SCHED_RR
// spinners per CPU, and a thread raised above them wakes from each of its
// sleeps on time. (Left as SCHED_OTHER, it overslept by up to 0.95 s on the
// 2-vCPU VM: it ran when RT throttling, or the fair server, let it.)
TEST_F(SchedTest, AControlThreadWakesOnTimeAboveSpinnersOnEveryCpu) {
  SKIP_WITHOUT_RR();
  const ControlPriority control(true, false);
  ASSERT_EQ(control.error(), 0);
  std::atomic<bool> stop{false};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::vector<std::thread> spinners;
  std::atomic<int> refused{0};
  for (std::size_t i = 0; i < 4 * topo_.pus().size(); ++i) {
    spinners.emplace_back([&] {
      if (set_measured_policy(SchedPolicy::rr) != 0) ++refused;
      // Bounded, so that a failure cannot hang the machine.
      while (!stop.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < deadline) {
        cpu_relax();
      }
    });
  }
  std::chrono::nanoseconds worst{0};
  for (int i = 0; i < 30; ++i) {
    const auto before = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    worst =
        std::max(worst, std::chrono::steady_clock::now() - before - std::chrono::milliseconds(10));
  }
  stop = true;
  for (std::thread& t : spinners) t.join();
  EXPECT_EQ(refused, 0);
  EXPECT_LT(worst, std::chrono::milliseconds(20));
}

// "other" is what the threads run, even when lockbench itself runs
// real-time (chrt): its threads would inherit that.
TEST_F(SchedTest, OtherThreadsRunAsOtherUnderARealTimeCaller) {
  SKIP_WITHOUT_RR();
  sched_param param{};
  param.sched_priority = kControlRtPriority;
  ASSERT_EQ(sched_setscheduler(0, SCHED_FIFO, &param), 0);
  RunSpec spec = SpecOf(family_, "expect_other", 2);
  const RunResult r = run_point(spec, topo_);
  param.sched_priority = 0;
  ASSERT_EQ(sched_setscheduler(0, SCHED_OTHER, &param), 0);
  EXPECT_TRUE(r.valid) << r.error;
}

TEST_F(SchedTest, OtherRecordsTheKernelsSliceOrWhyNot) {
  const RunResult r = run_point_isolated(SpecOf(family_, "expect_other", 2), topo_);
  ASSERT_TRUE(r.valid) << r.error;
  const json& slice = r.sched_slice;
  if (slice.at("ns").is_null()) {
    EXPECT_THAT(slice.at("why").get<std::string>(), HasSubstr("base_slice_ns"));
  } else {
    EXPECT_GT(slice.at("ns").get<std::uint64_t>(), 0u);
    EXPECT_FALSE(slice.at("from").get<std::string>().empty());
  }
}

class SliceRecordTest : public TempDirTest {};

TEST_F(SliceRecordTest, SaysWhereTheSliceCameFromOrWhyThereIsNone) {
  const std::string base = dir_ + "/base_slice_ns";
  std::ofstream(base) << "2250000\n";
  EXPECT_EQ(slice_record(SchedPolicy::other, 1400000, base),
            json({{"ns", 2250000}, {"from", base}}));
  const std::string missing = dir_ + "/none";
  EXPECT_EQ(slice_record(SchedPolicy::other, 1400000, missing),
            json({{"ns", 1400000}, {"from", "sched_getattr"}}));
  const json unknown = slice_record(SchedPolicy::other, 0, missing);
  EXPECT_TRUE(unknown.at("ns").is_null());
  EXPECT_THAT(unknown.at("why").get<std::string>(),
              AllOf(HasSubstr(missing), HasSubstr("cannot be read"), HasSubstr("6.6"),
                    HasSubstr("sched_getattr")));
  EXPECT_EQ(slice_record(SchedPolicy::rr, 100000000, base),
            json({{"ns", 100000000}, {"from", "sched_rr_get_interval"}}));
  EXPECT_TRUE(slice_record(SchedPolicy::rr, 0, base).at("ns").is_null());
}

TEST(SchedPolicyTest, ParsesWhatIsAllowedAndNamesTheRest) {
  EXPECT_EQ(parse_sched("other"), SchedPolicy::other);
  EXPECT_EQ(parse_sched("rr"), SchedPolicy::rr);
  EXPECT_STREQ(to_string(SchedPolicy::rr), "rr");
  try {
    parse_sched("fifo");
    ADD_FAILURE() << "fifo parsed";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("'fifo'"), HasSubstr("\"other\""), HasSubstr("\"rr\"")));
  }
}

// --- refusals, in a child process that gives up the right -------------------

// Drops CAP_SYS_NICE (effective and permitted: no way back) and sets
// RLIMIT_RTPRIO to rtprio: what an ordinary user has. "" or why it could not.
std::string GiveUpRealTime(rlim_t rtprio) {
  const rlimit limit{rtprio, rtprio};
  if (setrlimit(RLIMIT_RTPRIO, &limit) != 0) {
    return "could not set RLIMIT_RTPRIO " + std::to_string(rtprio) + " (" + std::strerror(errno) +
           "; above the hard limit it takes CAP_SYS_RESOURCE)";
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  const std::uint32_t bit = 1u << (CAP_SYS_NICE % 32);
  if (syscall(SYS_capget, &header, data) == 0) {
    data[CAP_SYS_NICE / 32].effective &= ~bit;
    data[CAP_SYS_NICE / 32].permitted &= ~bit;
    data[CAP_SYS_NICE / 32].inheritable &= ~bit;
    if (syscall(SYS_capset, &header, data) == 0) return "";
  }
  return std::string("could not drop CAP_SYS_NICE (") + std::strerror(errno) + ")";
}

// Runs body in a forked child with RLIMIT_RTPRIO rtprio and no CAP_SYS_NICE;
// returns what it wrote, "skip: why" when the child could not give up the
// right, or a failure.
std::string InChildWithout(rlim_t rtprio, const std::function<std::string()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return "FAIL: pipe";
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const std::string why = GiveUpRealTime(rtprio);
    const std::string said = why.empty() ? body() : "skip: " + why;
    const ssize_t written = write(fds[1], said.data(), said.size());
    _exit(written == static_cast<ssize_t>(said.size()) ? 0 : 1);
  }
  close(fds[1]);
  std::string said;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof buffer)) > 0) said.append(buffer, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "FAIL: the child died: " + said;
  return said;
}

#define SKIP_IF_CHILD_COULD_NOT(said) \
  if ((said).rfind("skip: ", 0) == 0) GTEST_SKIP() << (said).substr(6)

TEST_F(SchedTest, WithoutTheRightThePointFailsNamingTheKeyTheErrorAndTheRemedy) {
  const RunSpec spec = Oversubscribed("expect_rr", SchedPolicy::rr);
  const std::string said = InChildWithout(0, [&] {
    std::string out = "refusal: " + sched_refusal(SchedPolicy::rr) + "\n";
    const RunResult in_process = run_point(spec, topo_);
    out += "in process: " + std::string(in_process.valid ? "valid" : in_process.error) + "\n";
    const RunResult isolated = run_point_isolated(spec, topo_);
    return out + "isolated: " + (isolated.valid ? "valid" : isolated.error);
  });
  SKIP_IF_CHILD_COULD_NOT(said);
  EXPECT_THAT(said, AllOf(HasSubstr("refusal: SCHED_FIFO priority 2 (the harness's control "
                                    "threads) was refused: Operation not permitted (EPERM)"),
                          HasSubstr("in process: sched: value \"rr\" could not be set: "),
                          HasSubstr("threads were refused SCHED_RR priority 1: thread 0 "
                                    "(Operation not permitted)"),
                          HasSubstr("the coordinator was refused SCHED_FIFO priority 2"),
                          HasSubstr("isolated: sched: value \"rr\" could not be set: the "
                                    "watchdog was refused SCHED_FIFO priority 2"),
                          HasSubstr("RLIMIT_RTPRIO"), HasSubstr("CAP_SYS_NICE")));
}

// RLIMIT_RTPRIO 1 lets the measured threads run SCHED_RR 1, but not the
// control threads above them: refused, naming them.
TEST_F(SchedTest, RtprioOneIsNotEnoughForTheControlThreads) {
  const std::string said = InChildWithout(1, [] { return sched_refusal(SchedPolicy::rr); });
  SKIP_IF_CHILD_COULD_NOT(said);
  EXPECT_THAT(said, HasSubstr("SCHED_FIFO priority 2 (the harness's control threads) was "
                              "refused"));
}

// RLIMIT_RTPRIO 2 is enough without privilege; the watchdog and the
// coordinator then give their priority back as an unprivileged thread may.
TEST_F(SchedTest, RtprioTwoIsEnoughWithoutPrivilege) {
  const RunSpec spec = Oversubscribed("expect_rr", SchedPolicy::rr);
  const std::string said = InChildWithout(2, [&] {
    const std::string refused = sched_refusal(SchedPolicy::rr);
    if (!refused.empty()) return "refused: " + refused;
    const RunResult r = run_point_isolated(spec, topo_);
    if (!r.valid) return "invalid: " + r.error;
    return std::string(OwnPolicy() == SCHED_OTHER ? "ran, back to SCHED_OTHER"
                                                  : "ran, left real-time");
  });
  SKIP_IF_CHILD_COULD_NOT(said);
  EXPECT_EQ(said, "ran, back to SCHED_OTHER");
}

}  // namespace
}  // namespace lockbench
