// End-to-end tests of the `nokv` binary against the metadata engine's
// failure modes: a truly full disk (a real, small tmpfs), a damaged WAL, and
// many short-lived writing processes (issue #10, items 1, 2 and 8).
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <random>

#include "common/coding.h"
#include "run_nokv.h"
#include "test_dir.h"

namespace nokv {
namespace {

namespace stdfs = std::filesystem;
using testing::RunResult;

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::string Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Every entry under `dir`: for files their bytes and modification time.
struct EntryState {
  bool directory = false;
  std::string bytes;
  stdfs::file_time_type mtime;
  bool operator==(const EntryState&) const = default;
};
std::map<std::string, EntryState> TreeState(const std::string& dir) {
  std::map<std::string, EntryState> state;
  for (const auto& e : stdfs::recursive_directory_iterator(dir)) {
    EntryState s;
    s.directory = e.is_directory();
    s.mtime = e.last_write_time();
    if (!s.directory) s.bytes = ReadAll(e.path().string());
    state[e.path().string()] = std::move(s);
  }
  return state;
}

std::vector<std::string> WalSegments(const std::string& meta_dir) {
  std::vector<std::string> out;
  for (const auto& e : stdfs::directory_iterator(meta_dir)) {
    std::string name = e.path().filename().string();
    if (name.starts_with("wal-") && name.ends_with(".log")) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class NokvRunner {
 protected:
  RunResult Nokv(const std::string& data_dir, std::vector<std::string> args,
                 const std::string& input = {}) {
    args.insert(args.begin(), {NOKV_BINARY, "--data-dir", data_dir});
    return testing::RunProgram(args, input, work_.path());
  }
  std::string WriteLocal(const std::string& name, const std::string& bytes) {
    std::string path = work_.Sub(name);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  nokv::testing::TempDir work_;
};

// --- item 1: a truly full disk -------------------------------------------

class FullDiskTest : public ::testing::Test, public NokvRunner {
 protected:
  void SetUp() override {
    if (::mount("tmpfs", mount_.path().c_str(), "tmpfs", 0, "size=8m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs at " << mount_.path() << ": " << std::strerror(errno)
                   << " (needs root / CAP_SYS_ADMIN)";
    }
    mounted_ = true;
    data_ = mount_.Sub("data");
  }
  void TearDown() override {
    if (mounted_) ::umount2(mount_.path().c_str(), MNT_DETACH);
  }

  RunResult Run(std::vector<std::string> args, const std::string& input = {}) {
    return Nokv(data_, std::move(args), input);
  }

  uint64_t FreeBytes() {
    struct statvfs st {};
    EXPECT_EQ(::statvfs(mount_.path().c_str(), &st), 0);
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }

  // Writes a file outside the data directory until the disk is full.
  void FillDisk() {
    std::ofstream f(mount_.Sub("filler"), std::ios::binary);
    std::string chunk(64 << 10, 'f');
    while (f.write(chunk.data(), static_cast<std::streamsize>(chunk.size()))) {
    }
    f.clear();
    f.close();
    std::ofstream tail(mount_.Sub("filler-tail"), std::ios::binary);
    for (int i = 0; i < 64 && tail.put('t'); ++i) tail.flush();
    ASSERT_LT(FreeBytes(), 4096u) << "the disk should be full";
  }

  nokv::testing::TempDir mount_;
  bool mounted_ = false;
  std::string data_;
};

TEST_F(FullDiskTest, ReadsWorkWithoutWritingAndRmPlusGcFreeSpace) {
  ASSERT_EQ(Run({"init"}).exit_code, 0);
  std::string big = Random(1 << 20, 1);
  ASSERT_EQ(Run({"put", WriteLocal("big", big), "/big"}).exit_code, 0);
  ASSERT_EQ(Run({"put", WriteLocal("small", "small bytes"), "/small"}).exit_code, 0);
  FillDisk();

  // Reads succeed and leave every byte and timestamp in the data directory as it was.
  auto before = TreeState(data_);
  RunResult ls = Run({"ls", "/"});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(ls.out.find("big"), std::string::npos) << ls.out;
  RunResult stat = Run({"stat", "/big"});
  EXPECT_EQ(stat.exit_code, 0) << stat.err;
  RunResult cat = Run({"cat", "/small"});
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "small bytes");
  RunResult du = Run({"du", "/"});
  EXPECT_EQ(du.exit_code, 0) << du.err;
  EXPECT_TRUE(TreeState(data_) == before) << "a read-only command changed the data directory";
  // An MCP session (initialize, then the read verb) serves from the full
  // disk too. It is a holder, not a read-only command: it opens the
  // directory for writing (its pid in the lock file) to serve it.
  std::string session = testing::McpSession("read", R"({"path":"/small"})");
  RunResult mcp = Run({"mcp"}, session);
  EXPECT_EQ(mcp.exit_code, 0) << mcp.err;
  EXPECT_NE(mcp.out.find("small bytes"), std::string::npos) << mcp.out;

  // A write that meets the full disk fails cleanly and loses nothing acknowledged.
  RunResult put = Run({"put", WriteLocal("more", Random(256 << 10, 2)), "/more"});
  EXPECT_NE(put.exit_code, 0);
  EXPECT_NE(put.err.find("space"), std::string::npos) << put.err;
  RunResult cat_big = Run({"cat", "/big"});
  ASSERT_EQ(cat_big.exit_code, 0) << cat_big.err;
  EXPECT_TRUE(cat_big.out == big);
  EXPECT_EQ(Run({"cat", "/small"}).out, "small bytes");
  EXPECT_EQ(Run({"stat", "/more"}).exit_code, 3);

  // rm and gc run on the full disk (on the space reserve) and free space.
  uint64_t free_before = FreeBytes();
  RunResult rm = Run({"rm", "/big"});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  RunResult gc = Run({"--json", "gc"});
  ASSERT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_NE(gc.out.find("\"blocks_deleted\":1"), std::string::npos) << gc.out;
  EXPECT_GE(FreeBytes(), free_before + (1u << 20) - (64u << 10));
  // And the space is usable again.
  RunResult again = Run({"put", WriteLocal("again", "after gc"), "/again"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Run({"cat", "/again"}).out, "after gc");
  EXPECT_EQ(Run({"cat", "/small"}).out, "small bytes");
}

// A long-running holder on a file system it cannot write (a read-only
// mount) opens the directory read-only, says so, and still serves the verbs.
TEST_F(FullDiskTest, McpOnAReadOnlyMountReadsWithoutServing) {
  ASSERT_EQ(Run({"init"}).exit_code, 0);
  ASSERT_EQ(Run({"put", WriteLocal("small", "small bytes"), "/small"}).exit_code, 0);
  ASSERT_EQ(::mount(nullptr, mount_.path().c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0)
      << std::strerror(errno);
  auto before = TreeState(data_);
  std::string session = testing::McpSession("read", R"({"path":"/small"})");
  RunResult mcp = Run({"mcp"}, session);
  EXPECT_EQ(mcp.exit_code, 0) << mcp.err;
  EXPECT_NE(mcp.out.find("small bytes"), std::string::npos) << mcp.out;
  EXPECT_NE(mcp.err.find("read-only, not serving"), std::string::npos) << mcp.err;
  EXPECT_TRUE(TreeState(data_) == before);
  // A change fails cleanly, naming the cause.
  RunResult put = Run({"put", WriteLocal("more", "x"), "/more"});
  EXPECT_NE(put.exit_code, 0);
  EXPECT_FALSE(put.err.empty());
}

// --- item 8: a damaged newest WAL record --------------------------------

class WalDamageTest : public ::testing::Test, public NokvRunner {
 protected:
  void SetUp() override {
    ASSERT_EQ(Nokv(data_.path(), {"init"}).exit_code, 0);
    ASSERT_EQ(Nokv(data_.path(), {"put", WriteLocal("a", "alpha"), "/a"}).exit_code, 0);
    ASSERT_EQ(Nokv(data_.path(), {"put", WriteLocal("b", "beta"), "/b"}).exit_code, 0);
    auto segments = WalSegments(data_.Sub("meta"));
    ASSERT_FALSE(segments.empty());
    wal_ = segments.back();
  }

  // Offset of the last record of wal_ (walks the record framing).
  uint64_t LastRecordOffset() {
    std::string bytes = ReadAll(wal_);
    uint64_t at = 24, last = at;
    while (at + 12 <= bytes.size()) {
      last = at;
      at += 12 + DecodeFixed32(bytes.data() + at);
    }
    return last;
  }

  nokv::testing::TempDir data_;
  std::string wal_;
};

TEST_F(WalDamageTest, FlippedByteInTheNewestRecordExitsCorruptNamingTheFile) {
  uint64_t record = LastRecordOffset();
  std::string bytes = ReadAll(wal_);
  ASSERT_GT(bytes.size(), record + 20);
  bytes[record + 16] = static_cast<char>(bytes[record + 16] ^ 0x01);
  std::ofstream(wal_, std::ios::binary | std::ios::trunc) << bytes;

  for (const auto& args : std::vector<std::vector<std::string>>{
           {"ls", "/"}, {"put", WriteLocal("c", "gamma"), "/c"}}) {
    RunResult r = Nokv(data_.path(), args);
    EXPECT_EQ(r.exit_code, 6) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find(wal_ + " at offset " + std::to_string(record)), std::string::npos)
        << r.err;
    EXPECT_EQ(ReadAll(wal_), bytes) << args[0] << " changed the damaged WAL";
  }
}

TEST_F(WalDamageTest, ReadOnlyCommandLeavesATornTailAndTheNextWriterCutsIt) {
  uint64_t size = stdfs::file_size(wal_);
  stdfs::resize_file(wal_, size - 2);
  std::string torn = ReadAll(wal_);
  auto mtime = stdfs::last_write_time(wal_);
  RunResult ls = Nokv(data_.path(), {"ls", "/"});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_EQ(ReadAll(wal_), torn);
  EXPECT_EQ(stdfs::last_write_time(wal_), mtime);
  RunResult put = Nokv(data_.path(), {"put", WriteLocal("c", "gamma"), "/c"});
  EXPECT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(Nokv(data_.path(), {"cat", "/a"}).out, "alpha");
  EXPECT_EQ(Nokv(data_.path(), {"cat", "/c"}).out, "gamma");
}

// --- item 2: many short-lived writers -----------------------------------

// Each put is a process that opens, commits and exits. Before, each one
// started a WAL segment (200 puts: 200 files, all replayed by every open).
// The engine-level test (holt OpenModesTest) drives the WAL past the
// checkpoint threshold; here the puts log ~200 bytes each, so the bound
// checked is the segment count and the policy's byte ceiling.

TEST(ManyWritersTest, TwoHundredPutProcessesLeaveOneSegmentAndABoundedWal) {
  // In memory: 300 processes' fdatasyncs would cost seconds on a disk.
  nokv::testing::TempDir data(nokv::testing::TempDir::InMemoryBase());
  nokv::testing::TempDir work(nokv::testing::TempDir::InMemoryBase());
  auto nokv = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {NOKV_BINARY, "--data-dir", data.path()});
    return testing::RunProgram(args, {}, work.path());
  };
  ASSERT_EQ(nokv({"init"}).exit_code, 0);
  std::string local = work.Sub("f");
  std::ofstream(local) << "payload";
  uint64_t max_wal = 0;
  for (int i = 0; i < 200; ++i) {
    RunResult put = nokv({"put", "--replace", local, "/d/f" + std::to_string(i % 20)});
    ASSERT_EQ(put.exit_code, 0) << put.err;
    auto segments = WalSegments(data.Sub("meta"));
    ASSERT_LE(segments.size(), 2u) << "after put " << i;
    uint64_t wal = 0;
    for (const auto& s : segments) wal += stdfs::file_size(s);
    max_wal = std::max(max_wal, wal);
  }
  // The checkpoint policy's floor (1 MiB) plus what one put logs.
  EXPECT_LE(max_wal, (1u << 20) + (64u << 10));
  std::cout << "largest WAL between puts: " << max_wal << " bytes\n";
  RunResult ls = nokv({"ls", "/d"});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(ls.out.find("f19"), std::string::npos);
}

}  // namespace
}  // namespace nokv
