// Blocks: keys, read plans, the streaming writer and the verifying reader.
#include "object/block.h"

#include <gtest/gtest.h>

#include <atomic>

#include "common/thread_pool.h"
#include "object/block_reader.h"
#include "object/block_writer.h"
#include "object/memory_store.h"
#include "store_conformance.h"

namespace nokv::object {
namespace {

using testing::RandomBytes;

TEST(BlockKeyTest, KeyIsPrefixedByTheFirstTwoHexDigits) {
  Digest d = Sha256::Of("hello");
  std::string hex = DigestHex(d);
  EXPECT_EQ(BlockKey(d), "blocks/" + hex.substr(0, 2) + "/" + hex);
  Digest parsed{};
  ASSERT_TRUE(ParseBlockKey(BlockKey(d), &parsed));
  EXPECT_EQ(parsed, d);
  EXPECT_FALSE(ParseBlockKey("blocks/zz/" + hex, &parsed));
  EXPECT_FALSE(ParseBlockKey("blocks/" + hex, &parsed));
  EXPECT_FALSE(ParseBlockKey("other/" + hex.substr(0, 2) + "/" + hex, &parsed));
}

class BlockIoTest : public ::testing::Test {
 protected:
  MemoryStore store_;
  ThreadPool pool_{8};
};

TEST_F(BlockIoTest, WriterSplitsHashesAndUploadsEveryBlock) {
  std::string body = RandomBytes(10 * 1000 + 7, 3);
  BlockWriterOptions options;
  options.block_size = 1000;
  options.max_in_flight = 3;
  BlockWriter writer(&store_, &pool_, options);
  for (size_t pos = 0; pos < body.size(); pos += 333) {
    ASSERT_TRUE(writer.Append(std::string_view(body).substr(pos, 333)).ok());
  }
  auto layout = writer.Finish();
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  EXPECT_EQ(layout->size, body.size());
  EXPECT_EQ(layout->digest, Sha256::Of(body));
  ASSERT_EQ(layout->blocks.size(), 11u);
  EXPECT_EQ(layout->blocks.back().length, 7u);
  for (size_t i = 0; i < layout->blocks.size(); ++i) {
    const BlockRef& ref = layout->blocks[i];
    EXPECT_EQ(ref.digest, Sha256::Of(body.substr(i * 1000, 1000)));
    EXPECT_EQ(store_.Get(BlockKey(ref.digest)).value(), body.substr(i * 1000, 1000));
  }
  EXPECT_EQ(store_.object_count(), 11u);
}

TEST_F(BlockIoTest, WriteBodyMatchesTheStreamingWriterAndDedupesIdenticalBlocks) {
  std::string body = std::string(4000, 'z') + RandomBytes(1500, 4);
  BlockWriterOptions options;
  options.block_size = 1000;
  auto layout = BlockWriter::WriteBody(&store_, &pool_, body, options);
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->blocks.size(), 6u);
  EXPECT_EQ(store_.object_count(), 3u);  // four identical 'z' blocks stored once

  BlockWriter writer(&store_, &pool_, options);
  ASSERT_TRUE(writer.Append(body).ok());
  EXPECT_EQ(writer.Finish().value(), *layout);
}

TEST_F(BlockIoTest, EmptyBodyHasNoBlocks) {
  auto layout = BlockWriter::WriteBody(&store_, &pool_, "");
  ASSERT_TRUE(layout.ok());
  EXPECT_TRUE(layout->blocks.empty());
  EXPECT_EQ(layout->digest, Sha256::Of(""));
  BlockReader reader(&store_, &pool_, *layout);
  std::string out = "junk";
  ASSERT_TRUE(reader.Read(0, 10, &out).ok());
  EXPECT_EQ(out, "");
}

// Wraps a MemoryStore and fails every put after the first `ok_puts`.
class FailingPutStore final : public ObjectStore {
 public:
  explicit FailingPutStore(int ok_puts) : ok_puts_(ok_puts) {}
  using ObjectStore::Put;
  Status Put(std::string_view key, std::string_view body, const PutOptions& o) override {
    if (ok_puts_.fetch_sub(1) <= 0) return Status::IOError("injected put failure");
    return inner_.Put(key, body, o);
  }
  Result<std::string> Get(std::string_view key) override { return inner_.Get(key); }
  Result<std::string> GetRange(std::string_view key, ByteRange r) override {
    return inner_.GetRange(key, r);
  }
  Result<ObjectInfo> Head(std::string_view key) override { return inner_.Head(key); }
  Status Delete(std::string_view key) override { return inner_.Delete(key); }
  Result<ListResult> List(const ListOptions& o) override { return inner_.List(o); }
  std::string Describe() const override { return "failing"; }

 private:
  MemoryStore inner_;
  std::atomic<int> ok_puts_;
};

TEST(BlockWriterFaultTest, UploadFailureIsReportedByFinish) {
  FailingPutStore store(3);
  ThreadPool pool(4);
  BlockWriterOptions options;
  options.block_size = 100;
  BlockWriter writer(&store, &pool, options);
  Status appended = writer.Append(RandomBytes(1000, 5));
  auto layout = writer.Finish();
  ASSERT_FALSE(layout.ok());
  EXPECT_TRUE(layout.status().Is(Code::kIOError));
  EXPECT_NE(layout.status().message().find("injected put failure"), std::string::npos);
  (void)appended;
}

TEST_F(BlockIoTest, ReaderReturnsAnyRangeOfTheBody) {
  std::string body = RandomBytes(5000, 6);
  BlockWriterOptions options;
  options.block_size = 512;
  auto layout = BlockWriter::WriteBody(&store_, &pool_, body, options).value();
  BlockReader reader(&store_, &pool_, layout);
  std::string out;
  for (auto [off, len] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 5000}, {0, 1}, {511, 2}, {100, 3000}, {4990, 100}, {6000, 1}}) {
    ASSERT_TRUE(reader.Read(off, len, &out).ok());
    EXPECT_EQ(out, off < body.size() ? body.substr(off, len) : "") << off << "+" << len;
  }
  std::vector<ByteRange> ranges = {{10, 5}, {20, 5}, {2000, 700}, {4999, 1}};
  std::vector<std::string> parts;
  ASSERT_TRUE(reader.ReadV(ranges, &parts).ok());
  ASSERT_EQ(parts.size(), 4u);
  for (size_t i = 0; i < ranges.size(); ++i) {
    EXPECT_EQ(parts[i], body.substr(ranges[i].offset, ranges[i].length));
  }
}

TEST_F(BlockIoTest, SequentialReaderPrefetchesAhead) {
  std::string body = RandomBytes(64 * 1024, 7);
  BlockWriterOptions options;
  options.block_size = 4096;
  auto layout = BlockWriter::WriteBody(&store_, &pool_, body, options).value();
  BlockReaderOptions reader_options;
  reader_options.readahead_blocks = 3;
  BlockReader reader(&store_, &pool_, layout, reader_options);
  std::string out, all;
  for (uint64_t pos = 0; pos < body.size(); pos += 1000) {
    ASSERT_TRUE(reader.Read(pos, 1000, &out).ok());
    all += out;
  }
  EXPECT_EQ(all, body);
  BlockReaderStats stats = reader.stats();
  EXPECT_GT(stats.readahead_hits, 10u);
  EXPECT_GE(stats.whole_blocks_verified, 15u);
  EXPECT_LE(stats.fetches, 18u);  // each block fetched about once
}

TEST_F(BlockIoTest, CorruptedBlockIsDetectedAndNamed) {
  std::string body = RandomBytes(3000, 8);
  BlockWriterOptions options;
  options.block_size = 1000;
  auto layout = BlockWriter::WriteBody(&store_, &pool_, body, options).value();
  std::string key = BlockKey(layout.blocks[1].digest);
  std::string damaged = store_.Get(key).value();
  damaged[500] ^= 0x01;
  ASSERT_TRUE(store_.Put(key, damaged).ok());

  BlockReader reader(&store_, &pool_, layout);
  std::string out;
  Status s = reader.Read(0, 3000, &out);
  EXPECT_TRUE(s.Is(Code::kCorruption)) << s.ToString();
  EXPECT_NE(s.message().find(key), std::string::npos) << s.ToString();
  // Blocks that are intact still read fine.
  ASSERT_TRUE(reader.Read(2000, 1000, &out).ok());
  EXPECT_EQ(out, body.substr(2000));

  // A truncated block is corruption too, even through a ranged read.
  ASSERT_TRUE(store_.Put(key, damaged.substr(0, 10)).ok());
  BlockReader again(&store_, &pool_, layout);
  EXPECT_TRUE(again.Read(1100, 50, &out).Is(Code::kCorruption));
}

TEST_F(BlockIoTest, MissingBlockIsNotFoundNamingTheKey) {
  auto layout = BlockWriter::WriteBody(&store_, &pool_, "some bytes").value();
  ASSERT_TRUE(store_.Delete(BlockKey(layout.blocks[0].digest)).ok());
  BlockReader reader(&store_, &pool_, layout);
  std::string out;
  Status s = reader.Read(0, 4, &out);
  EXPECT_TRUE(s.Is(Code::kNotFound));
  EXPECT_NE(s.message().find(BlockKey(layout.blocks[0].digest)), std::string::npos);
}

}  // namespace
}  // namespace nokv::object
