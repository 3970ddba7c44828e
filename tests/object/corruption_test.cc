// Corruption campaign at the object layer: a body is stored as blocks in a
// LocalStore, one block file is damaged on disk (a byte flipped, zeroed,
// truncated, extended), and every BlockReader path must report Corruption
// naming that block's key and return none of its bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/thread_pool.h"
#include "object/block_reader.h"
#include "object/block_writer.h"
#include "object/local_store.h"
#include "store_conformance.h"
#include "test_dir.h"

namespace nokv::object {
namespace {

using testing::RandomBytes;

constexpr uint64_t kBlock = 1000;
constexpr size_t kDamaged = 2;  // index of the damaged block (bytes 2000..2999)

enum class Damage { kFlip, kZero, kTruncate, kExtend };

std::string DamageName(Damage d) {
  switch (d) {
    case Damage::kFlip:
      return "flip";
    case Damage::kZero:
      return "zero";
    case Damage::kTruncate:
      return "truncate";
    case Damage::kExtend:
      return "extend";
  }
  return "?";
}

class CorruptionTest : public ::testing::TestWithParam<Damage> {
 protected:
  void SetUp() override {
    store_ = LocalStore::Open(dir_.path()).value();
    body_ = RandomBytes(5 * kBlock + 300, 41);
    BlockWriterOptions options;
    options.block_size = kBlock;
    layout_ = BlockWriter::WriteBody(store_.get(), &pool_, body_, options).value();
    key_ = BlockKey(layout_.blocks[kDamaged].digest);
    std::string path = store_->PathForKey(key_).value();
    std::string bytes;
    ASSERT_TRUE(Env::Default()->ReadFileToString(path, &bytes).ok());
    switch (GetParam()) {
      case Damage::kFlip:
        bytes[123] ^= 0x40;
        break;
      case Damage::kZero:
        bytes.assign(bytes.size(), '\0');
        break;
      case Damage::kTruncate:
        bytes.resize(bytes.size() / 2);
        break;
      case Damage::kExtend:
        bytes += "trailing garbage";
        break;
    }
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }

  // Expects a Corruption naming the damaged block and no bytes returned.
  void ExpectCorruption(const Status& s, const std::string& out, const std::string& what) {
    EXPECT_TRUE(s.Is(Code::kCorruption)) << what << ": " << s.ToString();
    EXPECT_NE(s.message().find(key_), std::string::npos) << what << ": " << s.ToString();
    EXPECT_TRUE(out.empty()) << what << " returned " << out.size() << " bytes";
  }

  nokv::testing::TempDir dir_;
  ThreadPool pool_{4};
  std::unique_ptr<LocalStore> store_;
  std::string body_;
  BodyLayout layout_;
  std::string key_;
};

TEST_P(CorruptionTest, WholeBodyReadReportsTheBlock) {
  BlockReader reader(store_.get(), &pool_, layout_);
  std::string out = "stale";
  ExpectCorruption(reader.Read(0, body_.size(), &out), out, "whole read");
}

TEST_P(CorruptionTest, RangedReadInsideTheBlockIsVerified) {
  // Tiny ranges, at the damaged byte and far from it: a ranged read must
  // verify the whole block, not trust the bytes it happens to cover.
  for (uint64_t offset : {kDamaged * kBlock + 123, kDamaged * kBlock + 900, kDamaged * kBlock}) {
    BlockReader reader(store_.get(), &pool_, layout_);
    std::string out = "stale";
    ExpectCorruption(reader.Read(offset, 10, &out), out, "range at " + std::to_string(offset));
  }
}

TEST_P(CorruptionTest, ReadSpanningIntoTheBlockIsVerified) {
  BlockReader reader(store_.get(), &pool_, layout_);
  std::string out = "stale";
  ExpectCorruption(reader.Read(kDamaged * kBlock - 50, 100, &out), out, "spanning read");
}

TEST_P(CorruptionTest, ReadVReportsTheBlockAndReturnsNothing) {
  BlockReader reader(store_.get(), &pool_, layout_);
  std::vector<ByteRange> ranges = {{10, 5}, {kDamaged * kBlock + 120, 8}, {4500, 20}};
  std::vector<std::string> parts = {"stale"};
  Status s = reader.ReadV(ranges, &parts);
  EXPECT_TRUE(s.Is(Code::kCorruption)) << s.ToString();
  EXPECT_NE(s.message().find(key_), std::string::npos) << s.ToString();
  EXPECT_TRUE(parts.empty());
}

TEST_P(CorruptionTest, SequentialReadAheadStopsAtTheBlock) {
  BlockReaderOptions options;
  options.readahead_blocks = 2;
  BlockReader reader(store_.get(), &pool_, layout_, options);
  std::string out;
  uint64_t pos = 0;
  Status s;
  for (; pos < body_.size(); pos += 250) {
    s = reader.Read(pos, 250, &out);
    if (!s.ok()) break;
    ASSERT_EQ(out, body_.substr(pos, 250)) << pos;  // blocks before the damage are intact
  }
  EXPECT_EQ(pos, kDamaged * kBlock);
  ExpectCorruption(s, out, "sequential read");
}

TEST_P(CorruptionTest, IntactBlocksStillRead) {
  BlockReader reader(store_.get(), &pool_, layout_);
  std::string out;
  ASSERT_TRUE(reader.Read(0, kDamaged * kBlock, &out).ok());
  EXPECT_EQ(out, body_.substr(0, kDamaged * kBlock));
  ASSERT_TRUE(reader.Read((kDamaged + 1) * kBlock, 700, &out).ok());
  EXPECT_EQ(out, body_.substr((kDamaged + 1) * kBlock, 700));
}

INSTANTIATE_TEST_SUITE_P(Damages, CorruptionTest,
                         ::testing::Values(Damage::kFlip, Damage::kZero, Damage::kTruncate,
                                           Damage::kExtend),
                         [](const ::testing::TestParamInfo<Damage>& info) {
                           return DamageName(info.param);
                         });

TEST(ReadPlanWholeBlockTest, EveryTouchedBlockIsOneWholeFetch) {
  std::vector<BlockRef> blocks;
  std::vector<uint64_t> starts;
  for (int i = 0; i < 5; ++i) {
    blocks.push_back(BlockRef{Sha256::Of(std::to_string(i)), i < 4 ? 100u : 50u});
    starts.push_back(i * 100);
  }
  std::vector<ByteRange> ranges = {{110, 10}, {125, 5}, {170, 5}, {50, 10}, {440, 100}};
  ReadPlan plan = PlanReads(blocks, starts, 450, ranges);
  ASSERT_EQ(plan.fetches.size(), 3u);  // blocks 0, 1 and 4, each once
  EXPECT_EQ(plan.fetches[0].block, 0u);
  EXPECT_EQ(plan.fetches[1].block, 1u);
  EXPECT_EQ(plan.fetches[2].block, 4u);
  ASSERT_EQ(plan.pieces.size(), 5u);
  // Pieces are sorted by block then offset: {50,10}, {110,10}, {125,5}, {170,5}, {440,10}.
  EXPECT_EQ(plan.pieces[2].fetch, 1u);
  EXPECT_EQ(plan.pieces[2].fetch_offset, 25u);
  EXPECT_EQ(plan.pieces[2].request, 1u);
  EXPECT_EQ(plan.request_sizes, (std::vector<uint64_t>{10, 5, 5, 10, 10}));
}

}  // namespace
}  // namespace nokv::object
