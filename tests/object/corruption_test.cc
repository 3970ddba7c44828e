// Corruption campaign at the object layer: a body is stored as blocks in a
// LocalStore, one block file is damaged on disk (a byte flipped, zeroed,
// truncated, extended), and every BlockReader path must report Corruption
// naming that block's key and return none of its bytes whenever the bytes it
// would return depend on the damage. With chunk checksums (the layout of
// every body written since issue #13) a read checks only the chunks it
// fetches, so a read of intact chunks of a damaged block is served, and
// correct; without them (older layouts) any read of the block fails.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <tuple>

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
constexpr uint32_t kChunk = 64;
constexpr size_t kDamaged = 2;  // index of the damaged block (bytes 2000..2999)
constexpr uint64_t kDamagedStart = kDamaged * kBlock;

enum class Damage { kFlip, kZero, kTruncate, kExtend };
enum class Checks { kChunkCrcs, kBlockDigest };

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

class CorruptionTest : public ::testing::TestWithParam<std::tuple<Damage, Checks>> {
 protected:
  Damage damage() const { return std::get<0>(GetParam()); }
  bool chunked() const { return std::get<1>(GetParam()) == Checks::kChunkCrcs; }

  void SetUp() override {
    store_ = LocalStore::Open(dir_.path()).value();
    body_ = RandomBytes(5 * kBlock + 300, 41);
    BlockWriterOptions options;
    options.block_size = kBlock;
    options.chunk_size = chunked() ? kChunk : 0;
    layout_ = BlockWriter::WriteBody(store_.get(), &pool_, body_, options).value();
    ASSERT_EQ(layout_.has_chunk_crcs(), chunked());
    key_ = BlockKey(layout_.blocks[kDamaged].digest);
    std::string path = store_->PathForKey(key_).value();
    std::string bytes;
    ASSERT_TRUE(Env::Default()->ReadFileToString(path, &bytes).ok());
    switch (damage()) {
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

  // Whether reading body range [offset, offset + length) must fail: it
  // touches the damaged block and, with chunk checksums, the chunks it
  // fetches include damaged bytes, or it fetches the whole block (which
  // notices a wrong length).
  bool MustFail(uint64_t offset, uint64_t length) const {
    uint64_t begin = std::max(offset, kDamagedStart);
    uint64_t end = std::min(offset + length, kDamagedStart + kBlock);
    if (begin >= end) return false;
    if (!chunked()) return true;
    uint64_t fetch_begin = (begin - kDamagedStart) / kChunk * kChunk;
    uint64_t fetch_end = std::min(kBlock, (end - kDamagedStart + kChunk - 1) / kChunk * kChunk);
    auto [bad_begin, bad_end] = DamagedBytes();
    bool whole = fetch_begin == 0 && fetch_end == kBlock;
    return (fetch_begin < bad_end && bad_begin < fetch_end) ||
           (whole && damage() == Damage::kExtend);
  }

  // The damaged bytes of the block, [begin, end).
  std::pair<uint64_t, uint64_t> DamagedBytes() const {
    switch (damage()) {
      case Damage::kFlip:
        return {123, 124};
      case Damage::kZero:
        return {0, kBlock};
      case Damage::kTruncate:
        return {kBlock / 2, kBlock};
      case Damage::kExtend:
        return {kBlock, kBlock};
    }
    return {0, 0};
  }

  // Corruption naming the damaged block and no bytes, or the right bytes.
  void ExpectRead(uint64_t offset, uint64_t length) {
    BlockReader reader(store_.get(), &pool_, layout_);
    std::string out = "stale";
    Status s = reader.Read(offset, length, &out);
    std::string what = "range " + std::to_string(offset) + "+" + std::to_string(length);
    if (MustFail(offset, length)) {
      ExpectCorruption(s, out, what);
    } else {
      ASSERT_TRUE(s.ok()) << what << ": " << s.ToString();
      EXPECT_EQ(out, body_.substr(offset, length)) << what;
    }
  }

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
  std::string streamed;
  Status s = reader.ReadTo(0, body_.size(), [&](std::string_view bytes) {
    streamed.append(bytes);
    return Status::Ok();
  });
  EXPECT_TRUE(s.Is(Code::kCorruption)) << s.ToString();
  EXPECT_EQ(streamed, body_.substr(0, kDamagedStart));  // verified blocks only
}

TEST_P(CorruptionTest, RangedReadsAreCheckedAtTheirChunks) {
  // Tiny ranges at the damaged byte, far from it, at the block's edges, and
  // the whole block: each fails exactly when its fetched bytes are damaged.
  for (uint64_t offset : {kDamagedStart + 120, kDamagedStart + 900, kDamagedStart,
                          kDamagedStart + 600, kDamagedStart + kBlock - 10}) {
    ExpectRead(offset, 10);
  }
  ExpectRead(kDamagedStart, kBlock);  // a whole block is checked whole: always fails
}

TEST_P(CorruptionTest, ReadSpanningIntoTheBlockIsVerified) {
  ExpectRead(kDamagedStart - 50, 100);
  ExpectRead(kDamagedStart - 50, 300);
}

TEST_P(CorruptionTest, ReadVReportsTheBlockAndReturnsNothing) {
  BlockReader reader(store_.get(), &pool_, layout_);
  std::vector<ByteRange> ranges = {{10, 5}, {kDamagedStart + 120, 8}, {4500, 20}};
  std::vector<std::string> parts = {"stale"};
  Status s = reader.ReadV(ranges, &parts);
  if (MustFail(kDamagedStart + 120, 8)) {
    EXPECT_TRUE(s.Is(Code::kCorruption)) << s.ToString();
    EXPECT_NE(s.message().find(key_), std::string::npos) << s.ToString();
    EXPECT_TRUE(parts.empty());
  } else {
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(parts[1], body_.substr(kDamagedStart + 120, 8));
  }
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
  // The first read is a ranged one; from the second on whole blocks are
  // fetched (and checked whole) ahead of the cursor.
  EXPECT_EQ(pos, kDamagedStart);
  ExpectCorruption(s, out, "sequential read");
}

TEST_P(CorruptionTest, IntactBlocksStillRead) {
  BlockReader reader(store_.get(), &pool_, layout_);
  std::string out;
  ASSERT_TRUE(reader.Read(0, kDamagedStart, &out).ok());
  EXPECT_EQ(out, body_.substr(0, kDamagedStart));
  ASSERT_TRUE(reader.Read((kDamaged + 1) * kBlock, 700, &out).ok());
  EXPECT_EQ(out, body_.substr((kDamaged + 1) * kBlock, 700));
}

INSTANTIATE_TEST_SUITE_P(Damages, CorruptionTest,
                         ::testing::Combine(::testing::Values(Damage::kFlip, Damage::kZero,
                                                              Damage::kTruncate, Damage::kExtend),
                                            ::testing::Values(Checks::kChunkCrcs,
                                                              Checks::kBlockDigest)),
                         [](const ::testing::TestParamInfo<std::tuple<Damage, Checks>>& info) {
                           return DamageName(std::get<0>(info.param)) +
                                  (std::get<1>(info.param) == Checks::kChunkCrcs ? "_chunk_crcs"
                                                                                 : "_block_digest");
                         });

TEST(ReadPlanWholeBlockTest, EveryTouchedBlockIsOneWholeFetch) {
  std::vector<BlockRef> blocks;
  std::vector<uint64_t> starts;
  for (int i = 0; i < 5; ++i) {
    blocks.push_back(BlockRef{Sha256::Of(std::to_string(i)), i < 4 ? 100u : 50u});
    starts.push_back(i * 100);
  }
  std::vector<ByteRange> ranges = {{110, 10}, {125, 5}, {170, 5}, {50, 10}, {440, 100}};
  ReadPlan plan = PlanReads(blocks, starts, 450, 0, ranges);
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
