// Blocks: keys, read plans, the streaming writer and the verifying reader.
#include "object/block.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "common/crc32c.h"
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
  ASSERT_EQ(layout->blocks.size(), 11u);
  EXPECT_EQ(layout->blocks.back().length, 7u);
  // Several blocks: the body digest is derived from the block list, not a
  // second pass over the bytes.
  EXPECT_EQ(layout->digest_kind, DigestKind::kBlockList);
  EXPECT_EQ(layout->digest, BlockListDigest(body.size(), layout->blocks));
  EXPECT_NE(layout->digest, Sha256::Of(body));
  // One chunk checksum per block here (1000-byte blocks, 64 KiB chunks).
  EXPECT_EQ(layout->chunk_size, kDefaultChunkSize);
  ASSERT_EQ(layout->chunk_crcs.size(), 11u);
  for (size_t i = 0; i < layout->blocks.size(); ++i) {
    const BlockRef& ref = layout->blocks[i];
    EXPECT_EQ(ref.digest, Sha256::Of(body.substr(i * 1000, 1000)));
    EXPECT_EQ(store_.Get(BlockKey(ref.digest)).value(), body.substr(i * 1000, 1000));
    EXPECT_EQ(layout->chunk_crcs[i], crc32c::Value(body.substr(i * 1000, 1000)));
  }
  EXPECT_EQ(store_.object_count(), 11u);
  EXPECT_TRUE(ValidateLayout(*layout).ok());
}

TEST_F(BlockIoTest, OneBlockBodyKeepsItsPlainSha256) {
  std::string body = RandomBytes(700, 11);
  auto layout = BlockWriter::WriteBody(&store_, &pool_, body).value();
  ASSERT_EQ(layout.blocks.size(), 1u);
  EXPECT_EQ(layout.digest_kind, DigestKind::kSha256);
  EXPECT_EQ(layout.digest, Sha256::Of(body));  // what sha256sum prints
  EXPECT_EQ(BodyDigestString(layout), "sha256:" + DigestHex(Sha256::Of(body)));
}

TEST_F(BlockIoTest, BlockListDigestIsDefinedExactly) {
  // SHA-256("nokv-blocks-v1\n" | be64 size | be64 count | (digest | be64 length)*).
  std::vector<BlockRef> blocks = {{Sha256::Of("a"), 1}, {Sha256::Of("bc"), 2}};
  std::string input = "nokv-blocks-v1\n";
  input += std::string("\0\0\0\0\0\0\0\3", 8) + std::string("\0\0\0\0\0\0\0\2", 8);
  input += std::string(reinterpret_cast<const char*>(blocks[0].digest.data()), 32);
  input += std::string("\0\0\0\0\0\0\0\1", 8);
  input += std::string(reinterpret_cast<const char*>(blocks[1].digest.data()), 32);
  input += std::string("\0\0\0\0\0\0\0\2", 8);
  EXPECT_EQ(BlockListDigest(3, blocks), Sha256::Of(input));
  BodyLayout layout;
  layout.size = 3;
  layout.blocks = blocks;
  SetBodyDigest(&layout);
  EXPECT_EQ(BodyDigestString(layout), "sha256-blocks:" + DigestHex(Sha256::Of(input)));
}

TEST_F(BlockIoTest, FillingBuffersInPlaceMatchesAppend) {
  std::string body = RandomBytes(10 * 1000 + 7, 12);
  BlockWriterOptions options;
  options.block_size = 1000;
  options.max_in_flight = 2;
  options.chunk_size = 256;
  BlockWriter writer(&store_, &pool_, options);
  size_t pos = 0;
  while (pos < body.size()) {
    auto space = writer.Space();
    ASSERT_TRUE(space.ok());
    ASSERT_FALSE(space->empty());
    size_t n = std::min({space->size(), body.size() - pos, size_t{333}});
    std::memcpy(space->data(), body.data() + pos, n);
    ASSERT_TRUE(writer.Advance(n).ok());
    pos += n;
  }
  auto layout = writer.Finish();
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  EXPECT_EQ(layout.value(), BlockWriter::WriteBody(&store_, &pool_, body, options).value());
  EXPECT_EQ(layout->chunk_crcs.size(), 10u * 4 + 1);  // 4 chunks per 1000-byte block
  EXPECT_EQ(layout->chunk_crcs[1], crc32c::Value(body.substr(256, 256)));
  EXPECT_EQ(layout->chunk_crcs[3], crc32c::Value(body.substr(768, 232)));
}

TEST_F(BlockIoTest, AdvancePastTheSpaceIsRefused) {
  BlockWriterOptions options;
  options.block_size = 100;
  BlockWriter writer(&store_, &pool_, options);
  ASSERT_TRUE(writer.Space().ok());
  EXPECT_TRUE(writer.Advance(101).Is(Code::kInvalidArgument));
  BlockWriter fresh(&store_, &pool_, options);
  EXPECT_TRUE(fresh.Advance(1).Is(Code::kInvalidArgument));  // no Space() yet
}

TEST_F(BlockIoTest, InvalidChunkSizeIsRefused) {
  BlockWriterOptions options;
  options.chunk_size = 1000;  // not a power of two
  EXPECT_TRUE(
      BlockWriter::WriteBody(&store_, &pool_, "x", options).status().Is(Code::kInvalidArgument));
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
  EXPECT_GE(stats.chunks_verified, 16u);
  EXPECT_EQ(stats.whole_blocks_verified, 0u);  // chunk checksums, not SHA-256
  EXPECT_LE(stats.fetches, 18u);               // each block fetched about once
}

// A reader that runs sequentially, seeks back and runs again (a FUSE handle,
// a grep from the end) keeps a window of blocks, not every block it met.
TEST_F(BlockIoTest, SeekingBackKeepsOnlyAWindowOfBlocks) {
  std::string body = RandomBytes(64 * 4096, 9);
  BlockWriterOptions options;
  options.block_size = 4096;
  auto layout = BlockWriter::WriteBody(&store_, &pool_, body, options).value();
  BlockReaderOptions reader_options;
  reader_options.readahead_blocks = 2;
  BlockReader reader(&store_, &pool_, layout, reader_options);
  std::string out;
  for (uint64_t start = 60 * 4096; start > 0; start -= 4 * 4096) {
    for (uint64_t pos = start; pos < start + 3 * 4096; pos += 1024) {
      ASSERT_TRUE(reader.Read(pos, 1024, &out).ok());
      ASSERT_EQ(out, body.substr(pos, 1024));
    }
    EXPECT_LE(reader.stats().cached_blocks, 1 + reader_options.readahead_blocks) << start;
  }
}

TEST_F(BlockIoTest, RangedReadFetchesAndChecksOnlyTheChunksItNeeds) {
  std::string body = RandomBytes(3 * 4096, 13);
  BlockWriterOptions options;
  options.block_size = 4096;
  options.chunk_size = 256;
  auto layout = BlockWriter::WriteBody(&store_, &pool_, body, options).value();
  BlockReader reader(&store_, &pool_, layout);
  std::string out;
  ASSERT_TRUE(reader.Read(4096 + 300, 100, &out).ok());  // inside chunk 1 of block 1
  EXPECT_EQ(out, body.substr(4096 + 300, 100));
  BlockReaderStats stats = reader.stats();
  EXPECT_EQ(stats.fetches, 1u);
  EXPECT_EQ(stats.bytes_fetched, 256u);
  EXPECT_EQ(stats.chunks_verified, 1u);
  // Across a chunk boundary: two chunks, one fetch.
  ASSERT_TRUE(reader.Read(4096 + 500, 100, &out).ok());
  EXPECT_EQ(out, body.substr(4096 + 500, 100));
  EXPECT_EQ(reader.stats().bytes_fetched, 256u + 512u);
  // Two ranges far apart in one block are two small fetches.
  std::vector<ByteRange> ranges = {{10, 10}, {3000, 10}, {8192 + 4000, 96}};
  std::vector<std::string> parts;
  ASSERT_TRUE(reader.ReadV(ranges, &parts).ok());
  for (size_t i = 0; i < ranges.size(); ++i) {
    EXPECT_EQ(parts[i], body.substr(ranges[i].offset, ranges[i].length));
  }
  EXPECT_EQ(reader.stats().fetches, 2u + 3u);
  EXPECT_EQ(reader.stats().bytes_fetched, 768u + 3u * 256u);
}

TEST_F(BlockIoTest, ReadToStreamsEveryByteInOrder) {
  std::string body = RandomBytes(10 * 4096 + 33, 14);
  BlockWriterOptions options;
  options.block_size = 4096;
  auto layout = BlockWriter::WriteBody(&store_, &pool_, body, options).value();
  BlockReader reader(&store_, &pool_, layout);
  std::string all;
  size_t calls = 0;
  ASSERT_TRUE(reader
                  .ReadTo(100, body.size(),
                          [&](std::string_view bytes) {
                            all.append(bytes);
                            ++calls;
                            return Status::Ok();
                          })
                  .ok());
  EXPECT_EQ(all, body.substr(100));
  EXPECT_EQ(calls, 11u);  // one view per block
  // A small ranged ReadTo is one planned fetch.
  all.clear();
  ASSERT_TRUE(reader
                  .ReadTo(5000, 10,
                          [&](std::string_view bytes) {
                            all.append(bytes);
                            return Status::Ok();
                          })
                  .ok());
  EXPECT_EQ(all, body.substr(5000, 10));
  // A sink error stops the read and comes back.
  Status s = reader.ReadTo(0, body.size(),
                           [](std::string_view) { return Status::IOError("pipe closed"); });
  EXPECT_TRUE(s.Is(Code::kIOError));
}

TEST_F(BlockIoTest, LayoutWithoutChunkChecksumsIsVerifiedByBlockDigest) {
  // Bodies written before chunk checksums: every block is fetched whole and
  // compared with its SHA-256, ranged reads included.
  std::string body = RandomBytes(3000, 15);
  BlockWriterOptions options;
  options.block_size = 1000;
  options.chunk_size = 0;
  auto layout = BlockWriter::WriteBody(&store_, &pool_, body, options).value();
  EXPECT_FALSE(layout.has_chunk_crcs());
  BlockReader reader(&store_, &pool_, layout);
  std::string out;
  ASSERT_TRUE(reader.Read(1500, 10, &out).ok());
  EXPECT_EQ(out, body.substr(1500, 10));
  EXPECT_EQ(reader.stats().bytes_fetched, 1000u);
  EXPECT_EQ(reader.stats().whole_blocks_verified, 1u);
  std::string key = BlockKey(layout.blocks[1].digest);
  std::string damaged = store_.Get(key).value();
  damaged[900] ^= 0x20;
  ASSERT_TRUE(store_.Put(key, damaged).ok());
  BlockReader again(&store_, &pool_, layout);
  Status s = again.Read(1000, 10, &out);  // far from the flipped byte
  EXPECT_TRUE(s.Is(Code::kCorruption)) << s.ToString();
  EXPECT_TRUE(out.empty());
}

TEST_F(BlockIoTest, ChecksumListThatDoesNotFitTheBlocksIsCorruption) {
  std::string body = RandomBytes(3000, 16);
  BlockWriterOptions options;
  options.block_size = 1000;
  auto layout = BlockWriter::WriteBody(&store_, &pool_, body, options).value();
  EXPECT_TRUE(ValidateLayout(layout).ok());
  layout.chunk_crcs.pop_back();
  EXPECT_TRUE(ValidateLayout(layout).Is(Code::kInvalidArgument));
  BlockReader reader(&store_, &pool_, layout);
  std::string out;
  EXPECT_TRUE(reader.Read(0, 10, &out).Is(Code::kCorruption));
  EXPECT_TRUE(reader.Read(0, 3000, &out).Is(Code::kCorruption));
}

// Damaged metadata: lengths that do not add up to the size are refused by
// every read path, never answered with bytes nobody read.
TEST_F(BlockIoTest, LayoutWhoseLengthsDoNotAddUpIsCorruption) {
  std::string body = RandomBytes(3000, 17);
  BlockWriterOptions options;
  options.block_size = 1000;
  auto layout = BlockWriter::WriteBody(&store_, &pool_, body, options).value();
  for (uint64_t size : {uint64_t{3500}, uint64_t{2500}}) {
    BodyLayout damaged = layout;
    damaged.size = size;
    BlockReader reader(&store_, &pool_, damaged);
    std::string out = "stale";
    EXPECT_TRUE(reader.Read(0, 4000, &out).Is(Code::kCorruption)) << size;
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(reader.Read(2900, 200, &out).Is(Code::kCorruption)) << size;
    std::string streamed;
    Status s = reader.ReadTo(0, 4000, [&](std::string_view bytes) {
      streamed += bytes;
      return Status::Ok();
    });
    EXPECT_TRUE(s.Is(Code::kCorruption)) << size;
    EXPECT_TRUE(streamed.empty());
  }
  BodyLayout no_blocks = layout;
  no_blocks.blocks.clear();
  no_blocks.chunk_crcs.clear();
  BlockReader reader(&store_, &pool_, no_blocks);
  std::string out;
  EXPECT_TRUE(
      reader.ReadTo(0, 10, [](std::string_view) { return Status::Ok(); }).Is(Code::kCorruption));
}

TEST(BlockLayoutTest, ValidationNamesTheBrokenInvariant) {
  BodyLayout layout;
  layout.size = 10;
  layout.blocks = {{Sha256::Of("a"), 4}, {Sha256::Of("b"), 6}};
  SetBodyDigest(&layout);
  EXPECT_TRUE(ValidateLayout(layout).ok());
  BodyLayout wrong_digest = layout;
  wrong_digest.digest = Sha256::Of("something else");
  EXPECT_TRUE(ValidateLayout(wrong_digest).Is(Code::kInvalidArgument));
  BodyLayout short_sum = layout;
  short_sum.size = 11;
  EXPECT_TRUE(ValidateLayout(short_sum).Is(Code::kInvalidArgument));
  BodyLayout empty_block = layout;
  empty_block.blocks.push_back({Sha256::Of(""), 0});
  EXPECT_TRUE(ValidateLayout(empty_block).Is(Code::kInvalidArgument));
  BodyLayout one_block_list = layout;
  one_block_list.blocks.resize(1);
  one_block_list.size = 4;
  one_block_list.digest = BlockListDigest(4, one_block_list.blocks);
  EXPECT_TRUE(ValidateLayout(one_block_list).Is(Code::kInvalidArgument));
  BodyLayout odd_chunks = layout;
  odd_chunks.chunk_size = 48;
  odd_chunks.chunk_crcs = {1, 2};
  EXPECT_TRUE(ValidateLayout(odd_chunks).Is(Code::kInvalidArgument));
  BodyLayout chunked = layout;
  chunked.chunk_size = 16;
  chunked.chunk_crcs = {1, 2};  // one 16-byte chunk per block
  EXPECT_TRUE(ValidateLayout(chunked).ok());
  // A body of one block has a plain SHA-256: its block's.
  BodyLayout one_block;
  one_block.size = 4;
  one_block.blocks = {{Sha256::Of("abcd"), 4}};
  SetBodyDigest(&one_block);
  EXPECT_TRUE(ValidateLayout(one_block).ok());
  one_block.digest = Sha256::Of("dcba");
  EXPECT_TRUE(ValidateLayout(one_block).Is(Code::kInvalidArgument));
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
