// Recovery from damaged files: torn WAL tails are cut, damage before the
// tail and damaged checkpoint images are errors naming the file and offset.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/coding.h"
#include "engine_test_util.h"
#include "holt/log_format.h"
#include "holt/wal.h"

namespace nokv::holt {
namespace {

using testing::Dump;
using testing::Put;
using testing::TestOptions;

class RecoveryTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<Engine>> Open() { return Engine::Open(dir_.path(), TestOptions()); }

  // Writes `n` single-key batches and closes the engine.
  void Populate(int n) {
    auto engine = Open();
    ASSERT_TRUE(engine.ok());
    for (int i = 0; i < n; ++i) Put(**engine, "k" + std::to_string(i), "value" + std::to_string(i));
  }

  std::string NewestWal() {
    auto segments = ListWalSegments(Env::Default(), dir_.path());
    std::string newest;
    // The newest non-empty segment (reopen starts a fresh, header-only one).
    for (auto& s : *segments) {
      std::string path = dir_.Sub(s.name);
      if (std::filesystem::file_size(path) > kFileHeaderSize) newest = path;
    }
    return newest;
  }

  void FlipByte(const std::string& path, uint64_t offset) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x40);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(&c, 1);
  }

  nokv::testing::TempDir dir_;
};

TEST_F(RecoveryTest, TruncatedTrailingRecordIsCutAndEarlierBatchesSurvive) {
  Populate(10);
  std::string wal = NewestWal();
  auto size = std::filesystem::file_size(wal);
  std::filesystem::resize_file(wal, size - 3);
  auto engine = Open();
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  auto all = Dump(**engine);
  EXPECT_EQ(all.size(), 9u);
  EXPECT_FALSE(all.contains("k9"));
  EXPECT_EQ((*engine)->visible_seq(), 9u);
  EXPECT_LT(std::filesystem::file_size(wal), size - 3);  // the torn bytes are gone
}

TEST_F(RecoveryTest, BitFlipInTheLastRecordIsATornTail) {
  Populate(5);
  std::string wal = NewestWal();
  FlipByte(wal, std::filesystem::file_size(wal) - 2);
  auto engine = Open();
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  EXPECT_EQ(Dump(**engine).size(), 4u);
}

TEST_F(RecoveryTest, BitFlipBeforeTheTailIsCorruptionNamingFileAndOffset) {
  Populate(5);
  std::string wal = NewestWal();
  uint64_t offset = kFileHeaderSize + kRecordHeaderSize + 3;  // inside the first record
  FlipByte(wal, offset);
  auto engine = Open();
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), Code::kCorruption);
  std::string msg(engine.status().message());
  EXPECT_NE(msg.find(std::filesystem::path(wal).filename().string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("offset " + std::to_string(kFileHeaderSize)), std::string::npos) << msg;
}

TEST_F(RecoveryTest, DamagedRecordHeaderBeforeTheTailIsCorruption) {
  Populate(5);
  std::string wal = NewestWal();
  FlipByte(wal, kFileHeaderSize + 1);  // length field of record 1
  auto engine = Open();
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), Code::kCorruption);
}

TEST_F(RecoveryTest, ZeroFillAfterTheLastRecordIsCut) {
  Populate(3);
  std::string wal = NewestWal();
  {
    std::ofstream f(wal, std::ios::app | std::ios::binary);
    std::string zeros(4096, '\0');
    f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  }
  auto engine = Open();
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  EXPECT_EQ(Dump(**engine).size(), 3u);
}

// The reader reads through a bounded window; a tail longer than the window
// is still recognised as zero fill.
TEST_F(RecoveryTest, ZeroFillLongerThanTheReadWindowIsCut) {
  Populate(3);
  std::string wal = NewestWal();
  {
    std::ofstream f(wal, std::ios::app | std::ios::binary);
    std::string zeros(3 * kReadAheadBytes + 5, '\0');
    f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  }
  auto engine = Open();
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  EXPECT_EQ(Dump(**engine).size(), 3u);
}

TEST_F(RecoveryTest, DataBehindALongZeroRunIsCorruption) {
  Populate(3);
  std::string wal = NewestWal();
  uint64_t damaged_at = std::filesystem::file_size(wal);
  {
    std::ofstream f(wal, std::ios::app | std::ios::binary);
    std::string zeros(3 * kReadAheadBytes, '\0');
    f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
    f.put('\x01');
  }
  auto engine = Open();
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), Code::kCorruption);
  EXPECT_NE(engine.status().message().find("offset " + std::to_string(damaged_at)),
            std::string_view::npos)
      << engine.status().ToString();
}

// Version 1 images (each key in one entry) still load after the move to
// version 2 (a key may continue over several entries).
TEST_F(RecoveryTest, VersionOneCheckpointImageStillLoads) {
  std::string image;
  AppendFileHeader(&image, std::string_view("HOLTCKPT", 8), 1, 7);
  std::string meta = "M";
  PutFixed64(&meta, 7);
  PutVarint64(&meta, 1);
  PutLengthPrefixed(&meta, "snap");
  PutFixed64(&meta, 5);
  AppendRecord(&image, meta);
  std::string data = "D";
  PutLengthPrefixed(&data, "a");
  PutVarint64(&data, 2);
  for (auto [seq, value] : {std::pair<uint64_t, std::string>{6, "new"}, {5, "old"}}) {
    PutVarint64(&data, seq);
    data.push_back(0);
    PutLengthPrefixed(&data, value);
  }
  PutLengthPrefixed(&data, "b");
  PutVarint64(&data, 1);
  PutVarint64(&data, 7);
  data.push_back(0);
  PutLengthPrefixed(&data, "bee");
  AppendRecord(&image, data);
  std::string end = "E";
  PutFixed64(&end, 2);
  PutFixed64(&end, 3);
  AppendRecord(&image, end);
  std::string name = "checkpoint-0000000000000007.holt";
  std::ofstream(dir_.Sub(name), std::ios::binary) << image;
  std::ofstream(dir_.Sub("CURRENT"), std::ios::binary) << name << "\n";

  auto engine = Open();
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  EXPECT_EQ(Dump(**engine), (std::map<std::string, std::string>{{"a", "new"}, {"b", "bee"}}));
  auto snap = (*engine)->PinDurable("snap");
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ((*engine)->Get("a", &*snap)->bytes, "old");
  EXPECT_EQ(Put(**engine, "c", "x"), 8u);
}

TEST_F(RecoveryTest, BadWalMagicIsCorruption) {
  Populate(2);
  FlipByte(NewestWal(), 0);
  auto engine = Open();
  ASSERT_FALSE(engine.ok());
  EXPECT_NE(engine.status().message().find("offset 0"), std::string_view::npos);
}

TEST_F(RecoveryTest, DamagedCurrentIsCorruptionSayingSo) {
  {
    auto engine = Open();
    ASSERT_TRUE(engine.ok());
    Put(**engine, "k", "v");
    ASSERT_TRUE((*engine)->Checkpoint().ok());
  }
  for (const std::string& garbage : {std::string("checkpoint-00000000000\x01\xff"
                                                 "7.holt\n"),
                                     std::string("\n"), std::string("../../etc/passwd\n")}) {
    std::ofstream(dir_.Sub("CURRENT"), std::ios::binary | std::ios::trunc) << garbage;
    auto engine = Open();
    ASSERT_FALSE(engine.ok());
    EXPECT_EQ(engine.status().code(), Code::kCorruption);
    EXPECT_NE(engine.status().message().find("CURRENT is damaged"), std::string_view::npos)
        << engine.status().ToString();
  }
}

TEST_F(RecoveryTest, DamagedCheckpointImageIsCorruptionNamingIt) {
  {
    auto engine = Open();
    ASSERT_TRUE(engine.ok());
    for (int i = 0; i < 50; ++i) Put(**engine, "k" + std::to_string(i), "v");
    ASSERT_TRUE((*engine)->Checkpoint().ok());
  }
  std::string image;
  for (auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    if (entry.path().filename().string().starts_with("checkpoint-")) image = entry.path();
  }
  ASSERT_FALSE(image.empty());
  FlipByte(image, std::filesystem::file_size(image) / 2);
  auto engine = Open();
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), Code::kCorruption);
  EXPECT_NE(engine.status().message().find("checkpoint-"), std::string_view::npos);
}

TEST_F(RecoveryTest, TruncatedCheckpointImageIsCorruption) {
  {
    auto engine = Open();
    for (int i = 0; i < 50; ++i) Put(**engine, "k" + std::to_string(i), "v");
    ASSERT_TRUE((*engine)->Checkpoint().ok());
  }
  for (auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    if (entry.path().filename().string().starts_with("checkpoint-")) {
      std::filesystem::resize_file(entry.path(), std::filesystem::file_size(entry.path()) - 10);
    }
  }
  auto engine = Open();
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), Code::kCorruption);
}

TEST_F(RecoveryTest, SequenceGapIsCorruption) {
  Populate(3);
  // Forge a segment that claims to continue at sequence 10.
  std::string file;
  AppendFileHeader(&file, kWalMagic, kWalVersion, 10);
  Batch b;
  b.Put("x", "y");
  std::string payload;
  b.EncodeTo(10, &payload);
  AppendRecord(&file, payload);
  std::ofstream(dir_.Sub(WalSegmentName(10)), std::ios::binary) << file;
  auto engine = Open();
  ASSERT_FALSE(engine.ok());
  EXPECT_NE(engine.status().message().find("sequence 10 follows 3"), std::string_view::npos)
      << engine.status().ToString();
}

TEST_F(RecoveryTest, EmptyOrZeroFilledNewestSegmentIsIgnored) {
  Populate(3);
  // A crash right after creating the next segment, before its header landed.
  std::ofstream(dir_.Sub(WalSegmentName(4)), std::ios::binary);
  auto engine = Open();
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  EXPECT_EQ(Dump(**engine).size(), 3u);
  engine->reset();
  std::ofstream(dir_.Sub(WalSegmentName(4)), std::ios::binary) << std::string(10, '\0');
  auto again = Open();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Put(**again, "next", "x"), 4u);
}

TEST_F(RecoveryTest, ReopenAfterReopenKeepsCountingSequences) {
  Populate(3);
  Populate(0);
  auto engine = Open();
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ(Put(**engine, "z", "z"), 4u);
}

TEST(WalNameTest, ParsesOnlyWellFormedNames) {
  uint64_t seq = 0;
  EXPECT_TRUE(ParseWalSegmentName(WalSegmentName(0xabc), &seq));
  EXPECT_EQ(seq, 0xabcu);
  EXPECT_FALSE(ParseWalSegmentName("wal-xyz.log", &seq));
  EXPECT_FALSE(ParseWalSegmentName("wal-000000000000000G.log", &seq));
}

TEST(BatchCodingTest, RoundTripsEveryOpType) {
  Batch b;
  b.Put("k", std::string("v\0v", 3));
  b.Delete("d");
  b.Pin("p");
  b.Unpin("q");
  std::string payload;
  b.EncodeTo(77, &payload);
  Batch back;
  uint64_t seq = 0;
  ASSERT_TRUE(Batch::Decode(payload, &seq, &back).ok());
  EXPECT_EQ(seq, 77u);
  ASSERT_EQ(back.ops().size(), 4u);
  EXPECT_EQ(back.ops()[0].value, std::string("v\0v", 3));
  EXPECT_EQ(back.ops()[3].type, OpType::kUnpin);
  payload.pop_back();
  EXPECT_FALSE(Batch::Decode(payload, &seq, &back).ok());
}

}  // namespace
}  // namespace nokv::holt
