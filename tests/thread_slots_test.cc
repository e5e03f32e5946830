// First touch: run_point calls Workload::setup_thread on each thread after
// pinning it, and ThreadSlots gives each thread its own record, found again
// through the thread's context.
#include "harness/measure/thread_slots.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/measure/family.h"
#include "harness/measure/placement.h"
#include "harness/measure/run_point.h"
#include "harness/measure/topology.h"
#include "tests/run_spec.h"

namespace lockbench {
namespace {

TEST(ThreadSlotsTest, EachThreadFindsItsOwnRecordThroughItsContext) {
  ThreadSlots<int> slots(3);
  std::vector<ThreadContext> contexts;
  for (int i = 0; i < 3; ++i) contexts.emplace_back(i, 0, kUnpinned, 64);
  for (ThreadContext& ctx : contexts) slots.make_for(ctx, ctx.index * 10);
  for (ThreadContext& ctx : contexts) {
    EXPECT_EQ(slots.of(ctx), ctx.index * 10);
    EXPECT_EQ(&slots.of(ctx), &slots[static_cast<std::size_t>(ctx.index)].value);
  }
  int sum = 0;
  for (const Padded<int>& slot : slots) sum += slot.value;
  EXPECT_EQ(sum, 30);
}

// Records, in setup_thread, the CPU each thread is on: the CPU it was
// pinned to, so what it allocates there is first touched on that CPU's node.
class WhereSetUpWorkload final : public LoopedWorkload<WhereSetUpWorkload> {
 public:
  explicit WhereSetUpWorkload(const Topology& topology, std::size_t threads)
      : topology_(topology), cpus_(threads) {}
  void setup_thread(ThreadContext& ctx) override {
    cpus_[static_cast<std::size_t>(ctx.index)] = topology_.last_cpu_of_this_thread();
  }
  std::uint64_t operation(ThreadContext&) { return 1; }
  std::string check_invariants(const std::vector<ThreadContext*>&) override {
    for (std::size_t i = 0; i < cpus_.size(); ++i) {
      if (cpus_[i] != 0) return "thread " + std::to_string(i) + " set up on CPU " +
                                std::to_string(cpus_[i]) + ", not its CPU 0";
    }
    return "";
  }

 private:
  const Topology& topology_;
  std::vector<int> cpus_;
};

FamilyInfo WhereSetUp(const Topology& topology) {
  return FamilyInfo{.name = "where_set_up",
                    .summary = "where setup_thread runs",
                    .variants = {{"only", VariantKind::reference, "the one",
                                  [&topology](const Params&, const std::vector<int>& roles) {
                                    return std::make_unique<WhereSetUpWorkload>(topology,
                                                                                roles.size());
                                  }}},
                    .params = {},
                    .counter_names = {},
                    .lock_classes = {},
                    .report = {.operation = "steps"}};
}

TEST(ThreadSlotsTest, SetupRunsOnTheThreadOnceItIsPinned) {
  const Topology topology = Topology::load("");
  const Family family(WhereSetUp(topology));
  RunSpec spec = SpecOf(family, "only", 2);
  spec.cpus = {0, 0};
  const RunResult r = run_point(spec, topology);
  EXPECT_TRUE(r.valid) << r.error;
}

}  // namespace
}  // namespace lockbench
