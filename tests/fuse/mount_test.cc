// What is particular to a NoKV mount: close-to-open publishing, changes made
// through other paths (the API, another mount) reaching the kernel's caches,
// snapshot, read-only and subtree mounts (docs/fuse.md).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "fuse/mounted.h"

namespace nokv {
namespace {

using testing::Mounted;
using testing::TempDir;

// Changes made elsewhere reach a mount asynchronously (its watch); waits
// for `done` up to a deadline, checking as the changes arrive.
bool Eventually(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

std::string ReadPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return "<" + std::string(std::strerror(errno)) + ">";
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status Put(fs::Filesystem* fs, const std::string& path, std::string_view data) {
  fs::WriteOptions options;
  options.mode = meta::PublishMode::kReplace;
  NOKV_ASSIGN_OR_RETURN(auto writer, fs->OpenWriter(path, options));
  NOKV_RETURN_IF_ERROR(writer->Append(data));
  return writer->Commit().status();
}

std::string Get(fs::Filesystem* fs, const std::string& path) {
  auto reader = fs->OpenReader(path);
  if (!reader.ok()) return "<" + reader.status().ToString() + ">";
  std::string out;
  EXPECT_TRUE((*reader)->Read(0, (*reader)->size(), &out).ok());
  return out;
}

class MountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_ = testing::OpenTestFilesystem(dir_.Sub("data"));
    ASSERT_NE(fs_, nullptr);
  }

  // A mount whose kernel caches last an hour: what changes within a test
  // can only come from the mount dropping them.
  std::unique_ptr<Mounted> MountAt(const std::string& name,
                                   const std::function<void(fuse::MountOptions&)>& tweak = {}) {
    fuse::MountOptions options;
    options.mountpoint = dir_.Sub(name);
    options.entry_timeout = std::chrono::hours(1);
    options.attr_timeout = std::chrono::hours(1);
    if (tweak) tweak(options);
    auto mounted = std::make_unique<Mounted>(fs_.get(), options);
    EXPECT_TRUE(mounted->ok());
    return mounted;
  }

  TempDir dir_;
  std::unique_ptr<fs::Filesystem> fs_;
};

TEST_F(MountTest, AFileIsPublishedWhenClosed) {
  auto m = MountAt("mnt");
  int fd = ::open(m->Sub("f").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "written", 7), 7);
  // Not closed: others see the empty file the create made, not half a body.
  auto before = fs_->Stat("/f");
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->size, 0u);
  ASSERT_EQ(::close(fd), 0);
  EXPECT_EQ(Get(fs_.get(), "/f"), "written");
  auto after = fs_->Stat("/f");
  ASSERT_TRUE(after.ok());
  EXPECT_GT(after->generation, before->generation);
}

TEST_F(MountTest, APublishElsewhereReachesTheMount) {
  auto m = MountAt("mnt");
  ASSERT_TRUE(Put(fs_.get(), "/f", "version one").ok());
  EXPECT_EQ(ReadPath(m->Sub("f")), "version one");
  ASSERT_TRUE(Put(fs_.get(), "/f", "the second version").ok());
  EXPECT_TRUE(Eventually([&] { return ReadPath(m->Sub("f")) == "the second version"; }))
      << ReadPath(m->Sub("f"));
}

TEST_F(MountTest, ARenameElsewhereDropsTheOldName) {
  auto m = MountAt("mnt");
  ASSERT_TRUE(Put(fs_.get(), "/a", "A").ok());
  ASSERT_TRUE(Put(fs_.get(), "/b", "B").ok());
  struct stat st;
  ASSERT_EQ(::stat(m->Sub("a").c_str(), &st), 0);
  ASSERT_EQ(ReadPath(m->Sub("b")), "B");
  ASSERT_TRUE(fs_->Rename("/a", "/b", meta::RenameMode::kReplace).ok());
  EXPECT_TRUE(Eventually([&] { return ::stat(m->Sub("a").c_str(), &st) != 0; }));
  EXPECT_TRUE(Eventually([&] { return ReadPath(m->Sub("b")) == "A"; })) << ReadPath(m->Sub("b"));
}

TEST_F(MountTest, AFileCreatedElsewhereIsFoundAtOnce) {
  auto m = MountAt("mnt");
  struct stat st;
  ASSERT_NE(::stat(m->Sub("late").c_str(), &st), 0);
  ASSERT_TRUE(Put(fs_.get(), "/late", "here now").ok());
  EXPECT_EQ(ReadPath(m->Sub("late")), "here now");
}

// How many of the file's pages are in the kernel's page cache.
size_t ResidentPages(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return 0;
  struct stat st;
  ::fstat(fd, &st);
  size_t length = static_cast<size_t>(st.st_size);
  void* map = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, 0);
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in_core((length + page - 1) / page);
  size_t resident = 0;
  if (map != MAP_FAILED && ::mincore(map, length, in_core.data()) == 0) {
    for (unsigned char c : in_core) resident += c & 1;
  }
  if (map != MAP_FAILED) ::munmap(map, length);
  ::close(fd);
  return resident;
}

TEST_F(MountTest, ThePageCacheLastsWhileTheGenerationDoes) {
  auto m = MountAt("mnt");
  ASSERT_TRUE(Put(fs_.get(), "/f", std::string(256 << 10, 'a')).ok());
  ASSERT_EQ(ReadPath(m->Sub("f")), std::string(256 << 10, 'a'));
  // Opened again at the same generation: the pages read before are kept.
  EXPECT_EQ(ResidentPages(m->Sub("f")), (256u << 10) / ::sysconf(_SC_PAGESIZE));
  ASSERT_TRUE(Put(fs_.get(), "/f", std::string(256 << 10, 'b')).ok());
  // A new generation: the old pages go on the next open, and what is read
  // is the new body.
  EXPECT_EQ(ResidentPages(m->Sub("f")), 0u);
  EXPECT_TRUE(Eventually([&] { return ReadPath(m->Sub("f")) == std::string(256 << 10, 'b'); }));
}

TEST_F(MountTest, TwoMountsSeeEachOthersClosedFiles) {
  auto a = MountAt("a");
  auto b = MountAt("b");
  int fd = ::open(a->Sub("shared").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "from a", 6), 6);
  ASSERT_EQ(::close(fd), 0);
  EXPECT_EQ(ReadPath(b->Sub("shared")), "from a");
  fd = ::open(b->Sub("shared").c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "b wrote this", 12), 12);
  ASSERT_EQ(::close(fd), 0);
  EXPECT_TRUE(Eventually([&] { return ReadPath(a->Sub("shared")) == "b wrote this"; }));
  ASSERT_EQ(::rename(b->Sub("shared").c_str(), b->Sub("moved").c_str()), 0);
  struct stat st;
  EXPECT_TRUE(Eventually([&] { return ::stat(a->Sub("shared").c_str(), &st) != 0; }));
  EXPECT_EQ(ReadPath(a->Sub("moved")), "b wrote this");
}

TEST_F(MountTest, ASnapshotMountIsFrozenAndReadOnly) {
  ASSERT_TRUE(fs_->Mkdir("/d", true).ok());
  ASSERT_TRUE(Put(fs_.get(), "/d/f", "before").ok());
  ASSERT_TRUE(fs_->CreateSnapshot("s1", "/", 0).ok());
  auto m = MountAt("snap", [](fuse::MountOptions& o) { o.snapshot = "s1"; });
  ASSERT_TRUE(Put(fs_.get(), "/d/f", "after").ok());
  ASSERT_TRUE(Put(fs_.get(), "/d/new", "new").ok());
  EXPECT_EQ(ReadPath(m->Sub("d/f")), "before");
  struct stat st;
  EXPECT_NE(::stat(m->Sub("d/new").c_str(), &st), 0);
  EXPECT_EQ(::open(m->Sub("d/f").c_str(), O_WRONLY), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::mkdir(m->Sub("x").c_str(), 0755), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::unlink(m->Sub("d/f").c_str()), -1);
  EXPECT_EQ(errno, EROFS);
}

TEST_F(MountTest, AReadOnlyMountRefusesChanges) {
  ASSERT_TRUE(Put(fs_.get(), "/f", "x").ok());
  auto m = MountAt("ro", [](fuse::MountOptions& o) { o.read_only = true; });
  EXPECT_EQ(ReadPath(m->Sub("f")), "x");
  EXPECT_EQ(::open(m->Sub("g").c_str(), O_WRONLY | O_CREAT, 0644), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::truncate(m->Sub("f").c_str(), 0), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(Get(fs_.get(), "/f"), "x");
}

TEST_F(MountTest, ASubtreeMountShowsOnlyItsSubtree) {
  ASSERT_TRUE(fs_->Mkdir("/runs/r1", true).ok());
  ASSERT_TRUE(Put(fs_.get(), "/outside", "o").ok());
  auto m = MountAt("sub", [](fuse::MountOptions& o) { o.root = "/runs"; });
  struct stat st;
  ASSERT_EQ(::stat(m->Sub("r1").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_NE(::stat(m->Sub("outside").c_str(), &st), 0);
  int fd = ::open(m->Sub("r1/ckpt").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "weights", 7), 7);
  ASSERT_EQ(::close(fd), 0);
  EXPECT_EQ(Get(fs_.get(), "/runs/r1/ckpt"), "weights");
  ASSERT_EQ(::stat(m->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, 1u);
}

TEST_F(MountTest, InodeNumbersAreNoKVInodes) {
  ASSERT_TRUE(Put(fs_.get(), "/f", "x").ok());
  auto m = MountAt("mnt");
  struct stat st;
  ASSERT_EQ(::stat(m->Sub("f").c_str(), &st), 0);
  auto attr = fs_->Stat("/f");
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(st.st_ino, attr->inode);
}

TEST_F(MountTest, DevicesAndFifosAreRefused) {
  auto m = MountAt("mnt");
  EXPECT_EQ(::mkfifo(m->Sub("fifo").c_str(), 0644), -1);
  EXPECT_EQ(errno, EPERM);
  ASSERT_EQ(::mknod(m->Sub("plain").c_str(), S_IFREG | 0644, 0), 0) << std::strerror(errno);
  EXPECT_TRUE(fs_->Stat("/plain").ok());
}

TEST_F(MountTest, AnUnmountDropsFilesStillOpenForWriting) {
  ASSERT_TRUE(Put(fs_.get(), "/f", "published").ok());
  auto m = MountAt("mnt");
  int fd = ::open(m->Sub("f").c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "never closed", 12), 12);
  // The mount goes away under the open descriptor: its writes were not
  // closed, so nothing of them is published (close-to-open).
  EXPECT_TRUE(m->Unmount().ok());
  ::close(fd);
  EXPECT_EQ(Get(fs_.get(), "/f"), "published");
}

}  // namespace
}  // namespace nokv
