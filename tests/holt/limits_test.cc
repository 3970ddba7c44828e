// Size limits: the engine refuses batches over Options::max_batch_bytes
// before they get a sequence, bounds checkpoint records by bytes, and reopens
// whatever it accepted (docs/holt.md#size-limits). Limits are set small so
// the tests stay fast and light; the code paths are the ones the defaults use.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine_test_util.h"
#include "holt/log_format.h"

namespace nokv::holt {
namespace {

using testing::Dump;
using testing::MustCommit;
using testing::TestOptions;

constexpr size_t kBatchLimit = 4096;

// A batch with one put of `key` whose encoded size is exactly `bytes`.
Batch BatchOfEncodedSize(const std::string& key, size_t bytes) {
  Batch batch;
  size_t value_bytes = bytes;
  for (;;) {
    batch.Clear();
    batch.Put(key, std::string(value_bytes, 'v'));
    if (batch.encoded_size() == bytes) return batch;
    value_bytes = value_bytes + bytes - batch.encoded_size();
  }
}

struct ImageRecord {
  char tag;
  size_t bytes;
};

// The records of the engine directory's checkpoint image, in file order.
std::vector<ImageRecord> ImageRecords(const std::string& dir) {
  std::vector<ImageRecord> records;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with("checkpoint-") || !name.ends_with(".holt")) continue;
    auto file = Env::Default()->NewRandomAccessFile(entry.path().string());
    EXPECT_TRUE(file.ok());
    if (!file.ok()) return records;
    RecordReader reader(file->get(), entry.file_size());
    for (;;) {
      std::string_view payload;
      std::string why;
      auto outcome = reader.Next(&payload, &why);
      EXPECT_TRUE(outcome.ok());
      if (!outcome.ok() || *outcome != RecordReader::Outcome::kRecord) break;
      records.push_back({payload.front(), payload.size()});
    }
  }
  return records;
}

// Largest 'D' record of the image and how many there are.
std::pair<size_t, size_t> DataRecords(const std::string& dir) {
  size_t largest = 0, count = 0;
  for (const ImageRecord& r : ImageRecords(dir)) {
    if (r.tag != 'D') continue;
    largest = std::max(largest, r.bytes);
    count++;
  }
  return {largest, count};
}

class LimitsTest : public ::testing::Test {
 protected:
  void Open(Options options) {
    engine_.reset();
    auto e = Engine::Open(dir_.path(), options);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
  }
  Options SmallLimits() {
    Options o = TestOptions();
    o.max_batch_bytes = kBatchLimit;
    return o;
  }

  nokv::testing::TempDir dir_{nokv::testing::TempDir::InMemoryBase()};
  std::unique_ptr<Engine> engine_;
};

TEST(BatchTest, EncodedSizeIsTheWalPayloadSize) {
  Batch b;
  EXPECT_EQ(b.encoded_size(), 9u);
  b.Put("key", std::string(300, 'v'));
  b.Delete(std::string(200, 'd'));
  b.Pin("snap");
  b.Unpin("old");
  b.Put("", "");
  for (int i = 0; i < 130; ++i) b.Put("k" + std::to_string(i), "v");  // op count varint grows
  std::string payload;
  b.EncodeTo(12345, &payload);
  EXPECT_EQ(b.encoded_size(), payload.size());
}

TEST_F(LimitsTest, BatchExactlyAtTheLimitCommitsAndReadsBackAfterReopen) {
  Open(SmallLimits());
  Batch batch = BatchOfEncodedSize("big", kBatchLimit);
  std::string value = batch.ops()[0].value;
  ASSERT_TRUE(engine_->Commit(batch).ok());
  Open(SmallLimits());
  EXPECT_EQ(engine_->Get("big")->bytes, value);
  ASSERT_TRUE(engine_->Checkpoint().ok());
  Open(SmallLimits());
  EXPECT_EQ(engine_->Get("big")->bytes, value);
}

TEST_F(LimitsTest, BatchOneByteOverTheLimitIsRefusedAndChangesNothing) {
  Open(SmallLimits());
  uint64_t before = testing::Put(*engine_, "a", "1");
  Batch batch = BatchOfEncodedSize("big", kBatchLimit + 1);
  auto refused = engine_->Commit(batch);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kTooLarge);
  EXPECT_NE(refused.status().message().find(std::to_string(kBatchLimit + 1)),
            std::string_view::npos);
  EXPECT_NE(refused.status().message().find(std::to_string(kBatchLimit)), std::string_view::npos);
  EXPECT_EQ(engine_->visible_seq(), before);
  EXPECT_EQ(engine_->Get("big").status().code(), Code::kNotFound);
  // The engine stays usable and the refused batch used no sequence.
  EXPECT_EQ(testing::Put(*engine_, "b", "2"), before + 1);
  Open(SmallLimits());
  EXPECT_EQ(Dump(*engine_), (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
}

TEST_F(LimitsTest, MergeWhoseResultIsOverTheLimitIsRefused) {
  Options options = SmallLimits();
  options.merge_operator = [](std::string_view, const std::string_view* existing,
                              std::string_view operand, uint64_t) -> Result<std::string> {
    std::string grown(existing ? *existing : std::string_view());
    for (int i = 0; i < 4; ++i) grown += operand;
    return grown;
  };
  Open(options);
  Batch small;
  small.Merge("m", std::string(kBatchLimit / 8, 'x'));  // result: half the limit
  uint64_t seq = MustCommit(*engine_, small);
  Batch grows;
  grows.Merge("m", std::string(kBatchLimit / 8, 'y'));  // small operand, result over
  ASSERT_LT(grows.encoded_size(), kBatchLimit);
  auto refused = engine_->Commit(grows);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kTooLarge);
  EXPECT_EQ(engine_->Get("m")->seq, seq);
  EXPECT_EQ(engine_->visible_seq(), seq);
}

TEST_F(LimitsTest, OpenRefusesSizeLimitsOutsideTheAcceptedRange) {
  Options o = TestOptions();
  o.max_batch_bytes = kMaxBatchBytesLimit + 1;
  EXPECT_EQ(Engine::Open(dir_.path(), o).status().code(), Code::kInvalidArgument);
  o.max_batch_bytes = 0;
  EXPECT_EQ(Engine::Open(dir_.path(), o).status().code(), Code::kInvalidArgument);
  o = TestOptions();
  o.checkpoint_chunk_bytes = 0;
  EXPECT_EQ(Engine::Open(dir_.path(), o).status().code(), Code::kInvalidArgument);
  o.checkpoint_chunk_bytes = kMaxBatchBytesLimit;
  o.max_batch_bytes = kMaxBatchBytesLimit;
  EXPECT_TRUE(Engine::Open(dir_.path(), o).ok());
}

// 600 keys of 4 KiB fit the old 2048-keys-per-record bound in one 2.4 MiB
// record; bounded by bytes they take many records of at most 64 KiB.
TEST_F(LimitsTest, CheckpointRecordsAreBoundedByBytes) {
  constexpr size_t kChunk = 64 << 10;
  Options options = TestOptions();
  options.checkpoint_chunk_bytes = kChunk;
  Open(options);
  std::map<std::string, std::string> want;
  for (int i = 0; i < 600; ++i) {
    std::string key = "file/" + std::to_string(i);
    want[key] = std::string(4096, static_cast<char>('a' + i % 26));
    testing::Put(*engine_, key, want[key]);
  }
  ASSERT_TRUE(engine_->Checkpoint().ok());
  auto [largest, count] = DataRecords(dir_.path());
  EXPECT_LE(largest, kChunk);
  EXPECT_GE(count, 600u * 4096 / kChunk);
  Open(options);
  EXPECT_EQ(Dump(*engine_), want);
}

TEST_F(LimitsTest, VersionLargerThanAChunkGetsARecordOfItsOwn) {
  constexpr size_t kChunk = 16 << 10;
  Options options = TestOptions();
  options.checkpoint_chunk_bytes = kChunk;
  Open(options);
  std::string big(100 << 10, 'B');
  testing::Put(*engine_, "a", "small");
  testing::Put(*engine_, "b", big);
  testing::Put(*engine_, "c", "small");
  ASSERT_TRUE(engine_->Checkpoint().ok());
  auto records = ImageRecords(dir_.path());
  size_t over = 0;
  for (const ImageRecord& r : records) {
    if (r.tag == 'D' && r.bytes > kChunk) {
      over++;
      EXPECT_LT(r.bytes, big.size() + 32);  // the one version and its framing only
    }
  }
  EXPECT_EQ(over, 1u);
  Open(options);
  EXPECT_EQ(Dump(*engine_),
            (std::map<std::string, std::string>{{"a", "small"}, {"b", big}, {"c", "small"}}));
}

// Durable pins keep three 10 KiB versions of one key; with 16 KiB records
// the key's versions continue over several entries, and each pin still
// reads its own version after reopening from the image.
TEST_F(LimitsTest, KeyWhoseVersionsExceedAChunkIsSplitAndReloaded) {
  constexpr size_t kChunk = 16 << 10;
  Options options = TestOptions();
  options.checkpoint_chunk_bytes = kChunk;
  Open(options);
  std::string v1(10 << 10, '1'), v2(10 << 10, '2'), v3(10 << 10, '3');
  Batch b1;
  b1.Put("k", v1);
  b1.Pin("one");
  MustCommit(*engine_, b1);
  Batch b2;
  b2.Put("k", v2);
  b2.Pin("two");
  MustCommit(*engine_, b2);
  testing::Put(*engine_, "k", v3);
  testing::Put(*engine_, "z", "after");
  ASSERT_TRUE(engine_->Checkpoint().ok());
  auto [largest, count] = DataRecords(dir_.path());
  EXPECT_LE(largest, kChunk);
  EXPECT_GE(count, 2u);
  Open(options);
  EXPECT_EQ(engine_->Get("k")->bytes, v3);
  auto one = engine_->PinDurable("one");
  auto two = engine_->PinDurable("two");
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_EQ(engine_->Get("k", &*one)->bytes, v1);
  EXPECT_EQ(engine_->Get("k", &*two)->bytes, v2);
  EXPECT_EQ(engine_->Get("z")->bytes, "after");
  EXPECT_EQ(engine_->GetStats().versions, 4u);
}

// Values larger than the reader's window and than a checkpoint chunk, in
// both the image and the WAL after it.
TEST_F(LimitsTest, RecoveryAfterCheckpointAndWalWithLargeRecords) {
  Open(TestOptions());
  std::map<std::string, std::string> want;
  auto put = [&](const std::string& key, size_t bytes, char fill) {
    want[key] = std::string(bytes, fill);
    testing::Put(*engine_, key, want[key]);
  };
  put("image/a", 3 << 20, 'a');
  put("image/b", 1 << 20, 'b');
  put("small", 10, 's');
  ASSERT_TRUE(engine_->Checkpoint().ok());
  put("image/a", 2 << 20, 'A');  // overwrite, in the WAL only
  put("wal/c", (3 << 20) + 7, 'c');
  Batch del;
  del.Delete("image/b");
  MustCommit(*engine_, del);
  want.erase("image/b");
  Open(TestOptions());
  EXPECT_EQ(Dump(*engine_), want);
  ASSERT_TRUE(engine_->Checkpoint().ok());
  Open(TestOptions());
  EXPECT_EQ(Dump(*engine_), want);
}

}  // namespace
}  // namespace nokv::holt
