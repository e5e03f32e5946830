// The config parser against a generated corpus: the shipped configs mutated
// at random (bytes flipped, cut, keys dropped or added, values replaced by
// hostile ones), and the inputs that once got through and crashed a run
// (tests/fixtures/config-corpus/). Every input must either expand into points
// whose workloads can be built, or be refused with a UsageError: no other
// exception, no crash.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "harness/measure/family.h"
#include "harness/measure/topology.h"
#include "harness/sweep/memory_check.h"
#include "harness/sweep/sweep.h"

namespace lockbench {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

const fs::path kRoot = fs::path(__FILE__).parent_path().parent_path();

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  for (const auto& entry : fs::directory_iterator(kRoot / "configs")) {
    seeds.push_back(ReadText(entry.path()));
  }
  return seeds;
}

// Values a careless or hostile config might hold where a number, a string or
// a list belongs.
const json kHostile[] = {-1,
                         0,
                         1e300,
                         "x",
                         nullptr,
                         json::array(),
                         json::object(),
                         true,
                         4097,
                         1e9,
                         1000000,
                         "1000000x",
                         "list:99999",
                         "split",
                         "0.5x",
                         "3:0",
                         "0:0",
                         "a:b",
                         std::string(5000, 'z'),
                         json::array({json::array({1})}),
                         65536,
                         "-2x"};

class Mutator {
 public:
  explicit Mutator(unsigned seed) : rng_(seed) {}

  std::string Mutate(const std::string& seed) {
    return Pick(3) == 0 ? MutateBytes(seed) : MutateStructure(json::parse(seed)).dump();
  }

 private:
  std::size_t Pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  std::string MutateBytes(std::string text) {
    const std::size_t at = Pick(text.size());
    switch (Pick(3)) {
      case 0:
        text[at] = static_cast<char>(Pick(128));
        break;
      case 1:
        text.erase(at, 1 + Pick(8));
        break;
      default:
        text.resize(at);  // a truncated file
    }
    return text;
  }

  // Replaces, removes or adds one value somewhere in the document.
  json MutateStructure(json doc) {
    json* node = &doc;
    for (int depth = 0; depth < 6 && (node->is_object() || node->is_array()) && !node->empty();
         ++depth) {
      if (Pick(3) == 0) break;
      auto it = node->begin();
      std::advance(it, static_cast<long>(Pick(node->size())));
      node = &*it;
    }
    if (node->is_object() && Pick(2) == 0) {
      (*node)[Pick(2) ? "no_such_key" : "threads"] = kHostile[Pick(std::size(kHostile))];
    } else {
      *node = kHostile[Pick(std::size(kHostile))];
    }
    return doc;
  }

  std::mt19937 rng_;
};

// What the command line does with a config before a sweep runs, plus building
// the workloads of a few small points (constructors validate sizes too).
void Accept(const std::string& text, const Topology& topology) {
  const Sweep sweep = expand_sweep(parse_config(text, "fuzzed"), Selection{}, topology);
  check_memory(sweep, available_memory_bytes());
  int built = 0;
  for (const Point& p : sweep.points) {
    if (p.threads > 64 || built == 3) continue;
    ++built;
    p.family->make_workload(p.variant->name, p.params, p.roles);
  }
}

enum class Outcome { kAccepted, kRefused, kMisbehaved };

Outcome Try(const std::string& text, const Topology& topology, std::string& why) {
  try {
    Accept(text, topology);
  } catch (const UsageError&) {
    return Outcome::kRefused;
  } catch (const std::exception& e) {
    why = std::string("not a UsageError: ") + e.what();
    return Outcome::kMisbehaved;
  }
  return Outcome::kAccepted;
}

TEST(ConfigFuzzTest, MutatedConfigsExpandOrAreRefusedCleanly) {
  const Topology topology = Topology::load("synthetic:pack:2 core:2 pu:2");
  const std::vector<std::string> seeds = Seeds();
  ASSERT_FALSE(seeds.empty());
  Mutator mutator(20261123);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 5000; ++i) {
    const std::string input = mutator.Mutate(seeds[static_cast<std::size_t>(i) % seeds.size()]);
    std::string why;
    const Outcome outcome = Try(input, topology, why);
    ASSERT_NE(outcome, Outcome::kMisbehaved) << why << "\ninput " << i << ":\n" << input;
    (outcome == Outcome::kAccepted ? accepted : refused) += 1;
  }
  // The corpus must reach both sides, or it tests nothing.
  EXPECT_GT(accepted, 100);
  EXPECT_GT(refused, 100);
  std::printf("%d accepted, %d refused\n", accepted, refused);
}

TEST(ConfigFuzzTest, InputsThatOnceFailedAreRefused) {
  const Topology topology = Topology::load("synthetic:pack:1 core:2 pu:1");
  int count = 0;
  for (const auto& entry : fs::directory_iterator(kRoot / "tests/fixtures/config-corpus")) {
    ++count;
    const std::string text = ReadText(entry.path());
    EXPECT_THROW(Accept(text, topology), UsageError) << entry.path();
  }
  EXPECT_GT(count, 0);
}

}  // namespace
}  // namespace lockbench
