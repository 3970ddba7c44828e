// How an engine is opened: read-only opens that write nothing and share the
// directory lock, writable opens that continue the newest WAL segment, the
// checkpoint policy that keeps short-lived writers' WAL bounded, and the
// space reserve.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "engine_test_util.h"
#include "holt/reserve.h"
#include "holt/wal.h"

namespace nokv::holt {
namespace {

using testing::Dump;
using testing::Put;
using testing::TestOptions;

// Every file in a directory with its bytes and modification time.
struct FileState {
  std::string bytes;
  std::filesystem::file_time_type mtime;
  bool operator==(const FileState&) const = default;
};
std::map<std::string, FileState> DirState(const std::string& dir) {
  std::map<std::string, FileState> state;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream f(entry.path(), std::ios::binary);
    state[entry.path().filename().string()] = {std::string(std::istreambuf_iterator<char>(f), {}),
                                               entry.last_write_time()};
  }
  return state;
}

size_t SegmentCount(const std::string& dir) {
  auto segments = ListWalSegments(Env::Default(), dir);
  EXPECT_TRUE(segments.ok());
  return segments.ok() ? segments->size() : 0;
}

class OpenModesTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<Engine>> Open(Options options = TestOptions()) {
    return Engine::Open(dir_.path(), options);
  }
  Result<std::unique_ptr<Engine>> OpenReadOnly() {
    Options options = TestOptions();
    options.read_only = true;
    return Open(options);
  }
  void Populate(int n) {
    auto engine = Open();
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    for (int i = 0; i < n; ++i) Put(**engine, "k" + std::to_string(i), "v" + std::to_string(i));
    ASSERT_TRUE((*engine)->Checkpoint().ok());
    Put(**engine, "after", "image");  // some WAL after the image too
  }

  nokv::testing::TempDir dir_;
};

TEST_F(OpenModesTest, ReadOnlyOpenReadsEverythingAndWritesNothing) {
  Populate(10);
  auto before = DirState(dir_.path());
  {
    auto engine = OpenReadOnly();
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    auto all = Dump(**engine);
    EXPECT_EQ(all.size(), 11u);
    EXPECT_EQ(all["k3"], "v3");
    EXPECT_EQ(all["after"], "image");
    Batch batch;
    batch.Put("new", "x");
    auto commit = (*engine)->Commit(batch);
    ASSERT_FALSE(commit.ok());
    EXPECT_EQ(commit.status().code(), Code::kNotSupported);
    EXPECT_NE(commit.status().message().find("read-only"), std::string_view::npos);
    EXPECT_EQ((*engine)->Checkpoint().code(), Code::kNotSupported);
  }
  EXPECT_EQ(DirState(dir_.path()), before);
}

TEST_F(OpenModesTest, ReadOnlyOpenOfAMissingEngineIsNotFoundAndCreatesNothing) {
  std::string missing = dir_.Sub("nothing-here");
  Options options = TestOptions();
  options.read_only = true;
  auto engine = Engine::Open(missing, options);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST_F(OpenModesTest, ReadersShareTheLockAndExcludeWriters) {
  Populate(1);
  auto reader1 = OpenReadOnly();
  auto reader2 = OpenReadOnly();
  ASSERT_TRUE(reader1.ok()) << reader1.status().ToString();
  ASSERT_TRUE(reader2.ok()) << reader2.status().ToString();
  auto writer = Open();
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.status().code(), Code::kBusy);
  EXPECT_NE(writer.status().message().find("LOCK is locked"), std::string_view::npos);
  reader1->reset();
  reader2->reset();
  auto writer2 = Open();
  ASSERT_TRUE(writer2.ok()) << writer2.status().ToString();
  // A reader meets the writer as a writer does: Busy naming its pid.
  auto reader3 = OpenReadOnly();
  ASSERT_FALSE(reader3.ok());
  EXPECT_EQ(reader3.status().code(), Code::kBusy);
  EXPECT_NE(reader3.status().message().find("held by pid " + std::to_string(::getpid())),
            std::string_view::npos)
      << reader3.status().ToString();
}

TEST_F(OpenModesTest, WritableOpensContinueTheNewestSegment) {
  for (int i = 0; i < 20; ++i) {
    auto engine = Open();
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    EXPECT_EQ(Put(**engine, "k" + std::to_string(i), "v"), static_cast<uint64_t>(i + 1));
  }
  EXPECT_EQ(SegmentCount(dir_.path()), 1u);
  auto engine = Open();
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ(Dump(**engine).size(), 20u);
  EXPECT_EQ((*engine)->GetStats().open_replay_segments, 1u);
}

// Many processes that each open, commit a little and close: the WAL a new
// open replays stays under a bound that does not grow with their number.
TEST_F(OpenModesTest, ShortLivedWritersKeepTheReplayedWalBounded) {
  Options options = TestOptions();
  options.checkpoint_wal_bytes = 256ull << 20;
  options.checkpoint_min_wal_bytes = 64 << 10;
  const std::string value(1000, 'x');
  uint64_t max_replayed = 0, max_segments = 0, checkpoints = 0;
  for (int i = 0; i < 300; ++i) {
    auto engine = Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    Stats stats = (*engine)->GetStats();
    max_replayed = std::max(max_replayed, stats.open_replay_bytes);
    max_segments = std::max<uint64_t>(max_segments, SegmentCount(dir_.path()));
    Batch batch;
    for (int k = 0; k < 3; ++k)
      batch.Put("key" + std::to_string(i % 50) + "/" + std::to_string(k), value);
    ASSERT_TRUE((*engine)->Commit(batch).ok());
    engine->reset();
    if (std::filesystem::exists(dir_.Sub("CURRENT"))) ++checkpoints;
  }
  // One open replays at most the threshold plus what one process wrote.
  EXPECT_LE(max_replayed, (64u << 10) + 4 * 1024 * 3);
  EXPECT_LE(max_segments, 2u);
  EXPECT_GT(checkpoints, 0u);
  auto engine = Open(options);
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ(Dump(**engine).size(), 150u);
}

// A directory left with many segments (by older versions, which started
// one per open) is checkpointed by the next writable close.
TEST_F(OpenModesTest, ManySegmentsAreCheckpointedAtTheNextClose) {
  {
    Options tiny = TestOptions();
    tiny.wal_segment_bytes = 1;  // every commit starts a segment
    auto engine = Open(tiny);
    ASSERT_TRUE(engine.ok());
    for (int i = 0; i < 30; ++i) Put(**engine, "k" + std::to_string(i), "v");
  }
  ASSERT_GE(SegmentCount(dir_.path()), 30u);
  Options options = TestOptions();
  options.checkpoint_wal_bytes = 256ull << 20;
  {
    auto engine = Open(options);
    ASSERT_TRUE(engine.ok());
    EXPECT_GE((*engine)->GetStats().open_replay_segments, 30u);
  }
  EXPECT_LE(SegmentCount(dir_.path()), 1u);
  auto engine = Open(options);
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ(Dump(**engine).size(), 30u);
  EXPECT_LE((*engine)->GetStats().open_replay_segments, 1u);
  EXPECT_EQ((*engine)->GetStats().open_replay_records, 0u);
}

TEST_F(OpenModesTest, ReserveIsKeptReleasedOnRequestAndRestoredAtClose) {
  Options options = TestOptions();
  options.reserve_bytes = 1 << 20;
  std::string reserve = dir_.Sub(std::string(kReserveFileName));
  {
    auto engine = Open(options);
    ASSERT_TRUE(engine.ok());
    ASSERT_TRUE(std::filesystem::exists(reserve));
    EXPECT_EQ(std::filesystem::file_size(reserve), 1u << 20);
  }
  options.release_reserve = true;
  {
    auto engine = Open(options);
    ASSERT_TRUE(engine.ok());
    EXPECT_FALSE(std::filesystem::exists(reserve));
    Put(**engine, "k", "v");
  }
  EXPECT_EQ(std::filesystem::file_size(reserve), 1u << 20);
  // Read-only opens neither create nor remove it.
  std::filesystem::remove(reserve);
  Options read_only = options;
  read_only.read_only = true;
  auto engine = Open(read_only);
  ASSERT_TRUE(engine.ok());
  EXPECT_FALSE(std::filesystem::exists(reserve));
}

}  // namespace
}  // namespace nokv::holt
