// Which exit status an error that ends a command gets: the user's mistakes
// apart from the machine's failures.
#include "harness/sweep/exit_status.h"

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <system_error>

#include "harness/sweep/results_target.h"
#include "harness/sweep/sweep.h"

namespace lockbench {
namespace {

TEST(ExitStatusTest, BadUsageIsTwo) {
  EXPECT_EQ(exit_status_of(UsageError("config key 'threads': value -1")), 2);
}

TEST(ExitStatusTest, RuntimeFailuresAreThreeNotBadUsage) {
  EXPECT_EQ(exit_status_of(IoError("cannot write 'out.json': No space left on device")), 3);
  EXPECT_EQ(exit_status_of(std::bad_alloc()), 3);
  EXPECT_EQ(exit_status_of(std::runtime_error("hwloc_topology_init failed")), 3);
  EXPECT_EQ(exit_status_of(
                std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again))),
            3);
}

}  // namespace
}  // namespace lockbench
