// Recovery from damaged files: torn WAL tails are cut (by writable opens
// only), while damage anywhere, the newest record included, and damaged
// checkpoint images are errors naming the file and offset.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

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
    // The newest non-empty segment.
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

  void SetByte(const std::string& path, uint64_t offset, char value) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(&value, 1);
  }

  static std::string ReadAll(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }

  // Offset of the last record of a WAL segment (walks the framing).
  static uint64_t LastRecordOffset(const std::string& path) {
    std::string bytes = ReadAll(path);
    uint64_t at = kFileHeaderSize, last = at;
    while (at + kRecordHeaderSize <= bytes.size()) {
      last = at;
      at += kRecordHeaderSize + DecodeFixed32(bytes.data() + at);
    }
    return last;
  }

  Result<std::unique_ptr<Engine>> OpenReadOnly() {
    Options options = TestOptions();
    options.read_only = true;
    return Engine::Open(dir_.path(), options);
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

// The newest record is complete (its header checksum holds and its payload
// is all there), so a wrong byte in it is damage, not a torn write: cutting
// it would silently drop an acknowledged commit.
TEST_F(RecoveryTest, BitFlipInTheLastRecordIsCorruptionNamingFileAndOffset) {
  Populate(5);
  std::string wal = NewestWal();
  uint64_t last_record = LastRecordOffset(wal);
  FlipByte(wal, std::filesystem::file_size(wal) - 2);
  std::string before = ReadAll(wal);
  auto engine = Open();
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), Code::kCorruption);
  std::string msg(engine.status().message());
  EXPECT_NE(msg.find(wal + " at offset " + std::to_string(last_record)), std::string::npos) << msg;
  EXPECT_NE(msg.find("payload checksum mismatch"), std::string::npos) << msg;
  EXPECT_EQ(ReadAll(wal), before);  // nothing was cut
}

TEST_F(RecoveryTest, ZeroedByteInTheLastRecordIsCorruption) {
  Populate(5);
  std::string wal = NewestWal();
  uint64_t last_record = LastRecordOffset(wal);
  SetByte(wal, last_record + kRecordHeaderSize + 9, '\0');  // inside the payload
  auto engine = Open();
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), Code::kCorruption);
  EXPECT_NE(engine.status().message().find("offset " + std::to_string(last_record)),
            std::string_view::npos)
      << engine.status().ToString();
  // A read-only open reports the same damage.
  auto reader = OpenReadOnly();
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), Code::kCorruption);
}

TEST_F(RecoveryTest, FlippedHeaderOfTheLastRecordIsCorruption) {
  Populate(5);
  std::string wal = NewestWal();
  uint64_t last_record = LastRecordOffset(wal);
  FlipByte(wal, last_record + 5);  // the stored payload CRC
  auto engine = Open();
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), Code::kCorruption);
  EXPECT_NE(engine.status().message().find("record header checksum mismatch"),
            std::string_view::npos)
      << engine.status().ToString();
}

// A crash while writing a record can leave it complete in length but zero
// from a sector boundary on (the file grew, the data never landed): torn.
TEST_F(RecoveryTest, LastRecordZeroFromASectorBoundaryIsATornTail) {
  {
    auto engine = Open();
    ASSERT_TRUE(engine.ok());
    Put(**engine, "a", "small");
    Put(**engine, "big", std::string(3000, 'v'));
  }
  std::string wal = NewestWal();
  uint64_t last_record = LastRecordOffset(wal);
  uint64_t size = std::filesystem::file_size(wal);
  uint64_t boundary = (last_record / kTornWriteSector + 2) * kTornWriteSector;
  ASSERT_LT(boundary, size);
  std::string bytes = ReadAll(wal);
  std::fill(bytes.begin() + static_cast<long>(boundary), bytes.end(), '\0');
  std::ofstream(wal, std::ios::binary | std::ios::trunc) << bytes;
  auto engine = Open();
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  EXPECT_EQ(Dump(**engine), (std::map<std::string, std::string>{{"a", "small"}}));
  EXPECT_EQ(std::filesystem::file_size(wal), last_record);  // cut at the torn record
}

// The same zero run not starting on a sector boundary cannot come from a
// cut-off write: damage.
TEST_F(RecoveryTest, LastRecordZeroFromAnUnalignedOffsetIsCorruption) {
  {
    auto engine = Open();
    ASSERT_TRUE(engine.ok());
    Put(**engine, "a", "small");
    Put(**engine, "big", std::string(3000, 'v'));
  }
  std::string wal = NewestWal();
  uint64_t last_record = LastRecordOffset(wal);
  uint64_t size = std::filesystem::file_size(wal);
  // Zero only the final bytes of the payload, from inside the last sector.
  uint64_t from = size - 7;
  ASSERT_NE(from % kTornWriteSector, 0u);
  ASSERT_GT(from - from % kTornWriteSector, last_record) << "the run must be inside one sector";
  for (uint64_t at = from; at < size; ++at) SetByte(wal, at, '\0');
  auto engine = Open();
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), Code::kCorruption) << engine.status().ToString();
}

// A reader never writes: it ignores a torn tail in memory and leaves the
// file as it found it; the next writable open cuts it.
TEST_F(RecoveryTest, ReadOnlyOpenOverATornTailLeavesTheFileByteIdentical) {
  Populate(5);
  std::string wal = NewestWal();
  uint64_t size = std::filesystem::file_size(wal);
  std::filesystem::resize_file(wal, size - 3);
  std::string before = ReadAll(wal);
  auto mtime = std::filesystem::last_write_time(wal);
  {
    auto reader = OpenReadOnly();
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ(Dump(**reader).size(), 4u);
    EXPECT_TRUE((*reader)->GetStats().open_torn_tail);
  }
  EXPECT_EQ(ReadAll(wal), before);
  EXPECT_EQ(std::filesystem::last_write_time(wal), mtime);
  auto writer = Open();
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  EXPECT_EQ(Dump(**writer).size(), 4u);
  EXPECT_LT(std::filesystem::file_size(wal), size - 3);
  EXPECT_EQ(Put(**writer, "next", "x"), 5u);  // continues after the last complete record
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
