// The CI run of one fuzz target (tests/fuzz/<name>_fuzz.cc, linked into this
// binary): replays the target's committed seed corpus, then a few thousand
// deterministic mutations of it, through LLVMFuzzerTestOneInput. A property
// violation or a sanitizer report aborts the test. Shared by every target;
// tests/fuzz/CMakeLists.txt compiles it once per target with
//   NOKV_FUZZ_CORPUS     the seed directory (tests/fuzz/corpus/<name>)
//   NOKV_FUZZ_SUITE      the test suite name (RpcFuzzReplayTest, ...)
//   NOKV_FUZZ_MUTATIONS  how many mutated inputs to run
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace nokv::fuzz {
namespace {

int RunTarget(const std::string& input) {
  return LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

// The seeds in name order, so the mutation sequence does not depend on the
// order the file system lists them in.
std::vector<std::string> LoadCorpus() {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(NOKV_FUZZ_CORPUS)) {
    if (entry.is_regular_file()) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> seeds;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
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
  switch (rng() % 7) {
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
    case 4: {  // duplicate a slice: repeated records, nested containers
      if (s->size() < 2) break;
      size_t from = pick(s->size());
      s->insert(pick(s->size()), s->substr(from, 1 + pick(16)));
      break;
    }
    case 5:  // cut the tail: torn writes, truncated documents
      if (s->size() > 1) s->resize(1 + pick(s->size() - 1));
      break;
    default:  // an extreme length field somewhere
      if (s->size() > 5) s->replace(1 + pick(s->size() - 5), 4, "\xff\xff\xff\xff");
      break;
  }
}

TEST(NOKV_FUZZ_SUITE, SeedCorpusAndDeterministicMutationsKeepEveryProperty) {
  std::vector<std::string> seeds = LoadCorpus();
  ASSERT_GE(seeds.size(), 4u) << "seed corpus missing: " << NOKV_FUZZ_CORPUS;
  for (const std::string& seed : seeds) EXPECT_EQ(RunTarget(seed), 0);
  std::mt19937 rng(20261207);
  for (int i = 0; i < NOKV_FUZZ_MUTATIONS; ++i) {
    std::string input = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) Mutate(rng, &input);
    EXPECT_EQ(RunTarget(input), 0);
  }
}

}  // namespace
}  // namespace nokv::fuzz
