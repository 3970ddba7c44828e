// The CI run of the fuzz target: replays the committed seed corpus, then a
// few thousand deterministic mutations of it, through LLVMFuzzerTestOneInput.
// A property violation or a sanitizer report aborts the test.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace nokv::rpc {
namespace {

int RunTarget(const std::string& input) {
  return LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

std::vector<std::string> LoadCorpus() {
  std::vector<std::string> seeds;
  for (const auto& entry : std::filesystem::directory_iterator(NOKV_RPC_FUZZ_CORPUS)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    seeds.push_back(bytes.str());
  }
  return seeds;
}

// One random edit of the kinds libFuzzer makes most often.
void Mutate(std::mt19937& rng, std::string* s) {
  auto pick = [&](size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  };
  char byte = static_cast<char>(rng());
  switch (rng() % 6) {
    case 0:
      if (!s->empty()) (*s)[pick(s->size())] ^= static_cast<char>(1 << (rng() % 8));
      break;
    case 1:
      s->insert(s->begin() + static_cast<long>(pick(s->size() + 1)), byte);
      break;
    case 2:
      if (s->size() > 1) s->erase(pick(s->size()), 1 + pick(4));
      break;
    case 3:
      if (!s->empty()) (*s)[pick(s->size())] = byte;
      break;
    case 4: {  // duplicate a slice: repeated frames, nested containers
      if (s->size() < 2) break;
      size_t from = pick(s->size());
      s->insert(pick(s->size()), s->substr(from, 1 + pick(16)));
      break;
    }
    default:  // an extreme length field somewhere
      if (s->size() > 5) s->replace(1 + pick(s->size() - 5), 4, "\xff\xff\xff\xff");
      break;
  }
}

TEST(RpcFuzzReplayTest, SeedCorpusAndDeterministicMutationsKeepEveryProperty) {
  std::vector<std::string> seeds = LoadCorpus();
  ASSERT_GE(seeds.size(), 8u) << "seed corpus missing: " << NOKV_RPC_FUZZ_CORPUS;
  for (const std::string& seed : seeds) EXPECT_EQ(RunTarget(seed), 0);
  std::mt19937 rng(20261207);
  constexpr int kMutations = 5000;
  for (int i = 0; i < kMutations; ++i) {
    std::string input = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) Mutate(rng, &input);
    EXPECT_EQ(RunTarget(input), 0);
  }
}

}  // namespace
}  // namespace nokv::rpc
