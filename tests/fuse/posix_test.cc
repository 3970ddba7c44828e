// The POSIX behaviour suite: plain system calls on a NoKV FUSE mount, and
// the same calls on a tmpfs directory as a cross-check that the
// expectations are what Linux does (docs/fuse.md).
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>
#include <set>
#include <string>

#include "fuse/mounted.h"

namespace nokv {
namespace {

using testing::Mounted;
using testing::TempDir;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

// Writes `data` at `offset` through fd, all of it.
void PWriteAll(int fd, std::string_view data, off_t offset) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), offset);
    ASSERT_GT(n, 0) << std::strerror(errno);
    data.remove_prefix(static_cast<size_t>(n));
    offset += n;
  }
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[65536];
  for (off_t at = 0;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    at += n;
  }
  return out;
}

class PosixTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ::umask(0);
    if (GetParam() == "nokv") {
      fs_ = testing::OpenTestFilesystem(dir_.Sub("data"));
      ASSERT_NE(fs_, nullptr);
      fuse::MountOptions options;
      options.mountpoint = dir_.Sub("mnt");
      mount_ = std::make_unique<Mounted>(fs_.get(), options);
      ASSERT_TRUE(mount_->ok());
      root_ = mount_->path();
    } else {
      tmpfs_ = std::make_unique<TempDir>(TempDir::InMemoryBase());
      root_ = tmpfs_->path();
    }
  }
  void TearDown() override {
    if (mount_) {
      EXPECT_TRUE(mount_->Unmount().ok());
    }
    mount_.reset();
    fs_.reset();
    tmpfs_.reset();
  }

  std::string P(const std::string& rel) const { return root_ + "/" + rel; }

  void Write(const std::string& rel, std::string_view data, int flags = O_TRUNC) {
    int fd = ::open(P(rel).c_str(), O_WRONLY | O_CREAT | flags, 0644);
    ASSERT_GE(fd, 0) << rel << ": " << std::strerror(errno);
    PWriteAll(fd, data, 0);
    ASSERT_EQ(::close(fd), 0) << std::strerror(errno);
  }

  std::string Read(const std::string& rel) {
    int fd = ::open(P(rel).c_str(), O_RDONLY);
    if (fd < 0) return "<" + std::string(std::strerror(errno)) + ">";
    std::string out = ReadAll(fd);
    ::close(fd);
    return out;
  }

  // errno of a call that must fail (0 when it succeeded).
  static int Err(int rc) { return rc < 0 ? errno : 0; }

  struct stat Stat(const std::string& rel) {
    struct stat st = {};
    EXPECT_EQ(::lstat(P(rel).c_str(), &st), 0) << rel << ": " << std::strerror(errno);
    return st;
  }

  TempDir dir_;
  std::unique_ptr<fs::Filesystem> fs_;
  std::unique_ptr<Mounted> mount_;
  std::unique_ptr<TempDir> tmpfs_;
  std::string root_;
};

TEST_P(PosixTest, WrittenBytesReadBackAcrossBlocks) {
  std::string data = RandomBytes(300 * 1024 + 17, 1);
  Write("f", data);
  EXPECT_EQ(Read("f"), data);
  EXPECT_EQ(Stat("f").st_size, static_cast<off_t>(data.size()));
  EXPECT_TRUE(S_ISREG(Stat("f").st_mode));
}

TEST_P(PosixTest, ManySmallWritesMakeOneFile) {
  int fd = ::open(P("f").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  std::string expected;
  for (int i = 0; i < 512; ++i) {
    std::string chunk = RandomBytes(4096, 100 + i);
    ASSERT_EQ(::write(fd, chunk.data(), chunk.size()), 4096);
    expected += chunk;
  }
  ASSERT_EQ(::close(fd), 0);
  EXPECT_EQ(Read("f"), expected);
}

TEST_P(PosixTest, OverwriteInTheMiddleKeepsTheRest) {
  Write("f", std::string(200'000, 'a'));
  int fd = ::open(P("f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  PWriteAll(fd, "XYZ", 100'000);
  ASSERT_EQ(::close(fd), 0);
  std::string expected(200'000, 'a');
  expected.replace(100'000, 3, "XYZ");
  EXPECT_EQ(Read("f"), expected);
}

TEST_P(PosixTest, WriteBeyondTheEndLeavesZeros) {
  int fd = ::open(P("f").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  PWriteAll(fd, "tail", 100'000);
  ASSERT_EQ(::close(fd), 0);
  EXPECT_EQ(Read("f"), std::string(100'000, '\0') + "tail");
}

TEST_P(PosixTest, AppendModeWritesAtTheEnd) {
  Write("f", "one\n");
  int fd = ::open(P("f").c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "two\n", 4), 4);
  ASSERT_EQ(::write(fd, "three\n", 6), 6);
  ASSERT_EQ(::close(fd), 0);
  EXPECT_EQ(Read("f"), "one\ntwo\nthree\n");
}

TEST_P(PosixTest, OpenWithTruncEmptiesTheFile) {
  Write("f", "old contents");
  int fd = ::open(P("f").c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::close(fd), 0);
  EXPECT_EQ(Stat("f").st_size, 0);
  EXPECT_EQ(Read("f"), "");
}

// The previous writer's release reaches the mount after close(2) returns,
// and may race the next open: a truncating open right after a close must
// empty the file every time, whatever the order of the two.
TEST_P(PosixTest, TruncatingOpenRightAfterACloseEmptiesTheFileEveryTime) {
  for (int round = 0; round < 200; ++round) {
    Write("f", "old contents " + std::to_string(round));
    int fd = ::open(P("f").c_str(), O_WRONLY | O_TRUNC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::close(fd), 0);
    ASSERT_EQ(Read("f"), "") << "round " << round;
  }
}

TEST_P(PosixTest, TruncateShrinksAndGrowsWithZeros) {
  Write("f", "0123456789");
  ASSERT_EQ(::truncate(P("f").c_str(), 4), 0) << std::strerror(errno);
  EXPECT_EQ(Read("f"), "0123");
  ASSERT_EQ(::truncate(P("f").c_str(), 8), 0);
  EXPECT_EQ(Read("f"), std::string("0123") + std::string(4, '\0'));
  int fd = ::open(P("f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 2), 0) << std::strerror(errno);
  struct stat st;
  ASSERT_EQ(::fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, 2);
  ASSERT_EQ(::close(fd), 0);
  EXPECT_EQ(Read("f"), "01");
}

TEST_P(PosixTest, AnotherDescriptorReadsWritesNotYetClosed) {
  int w = ::open(P("f").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(w, 0);
  PWriteAll(w, "visible before close", 0);
  int r = ::open(P("f").c_str(), O_RDONLY);
  ASSERT_GE(r, 0);
  EXPECT_EQ(ReadAll(r), "visible before close");
  struct stat st;
  ASSERT_EQ(::fstat(r, &st), 0);
  EXPECT_EQ(st.st_size, 20);
  ::close(r);
  ASSERT_EQ(::close(w), 0);
}

TEST_P(PosixTest, ModesOfNewFilesAndDirectories) {
  ASSERT_EQ(::mkdir(P("d").c_str(), 0750), 0);
  struct stat st = Stat("d");
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  int fd = ::open(P("d/f").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0640);
  ASSERT_GE(fd, 0);
  ::close(fd);
  EXPECT_EQ(Stat("d/f").st_mode & 07777, 0640u);
  EXPECT_EQ(Err(::open(P("d/f").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0640)), EEXIST);
}

TEST_P(PosixTest, NamespaceErrors) {
  ASSERT_EQ(::mkdir(P("d").c_str(), 0755), 0);
  Write("d/f", "x");
  Write("g", "x");
  EXPECT_EQ(Err(::mkdir(P("d").c_str(), 0755)), EEXIST);
  EXPECT_EQ(Err(::rmdir(P("d").c_str())), ENOTEMPTY);
  EXPECT_EQ(Err(::rmdir(P("g").c_str())), ENOTDIR);
  EXPECT_EQ(Err(::unlink(P("d").c_str())), EISDIR);
  EXPECT_EQ(Err(::open(P("missing").c_str(), O_RDONLY)), ENOENT);
  EXPECT_EQ(Err(::unlink(P("missing").c_str())), ENOENT);
  EXPECT_EQ(Err(::open(P("g/x").c_str(), O_RDONLY)), ENOTDIR);
  EXPECT_EQ(Err(::mkdir(P("missing/x").c_str(), 0755)), ENOENT);
  EXPECT_EQ(Err(::open(P("d").c_str(), O_WRONLY)), EISDIR);
  std::string long_name(256, 'n');
  EXPECT_EQ(Err(::open(P(long_name).c_str(), O_WRONLY | O_CREAT, 0644)), ENAMETOOLONG);
  EXPECT_EQ(Err(::mkdir(P(std::string(255, 'n')).c_str(), 0755)), 0);
}

TEST_P(PosixTest, RenameModes) {
  Write("a", "A");
  Write("b", "B");
  ASSERT_EQ(::rename(P("a").c_str(), P("b").c_str()), 0);
  EXPECT_EQ(Read("b"), "A");
  EXPECT_EQ(Err(::access(P("a").c_str(), F_OK)), ENOENT);

  Write("c", "C");
  EXPECT_EQ(Err(::renameat2(AT_FDCWD, P("b").c_str(), AT_FDCWD, P("c").c_str(), RENAME_NOREPLACE)),
            EEXIST);
  EXPECT_EQ(Read("c"), "C");
  ASSERT_EQ(::renameat2(AT_FDCWD, P("b").c_str(), AT_FDCWD, P("c").c_str(), RENAME_EXCHANGE), 0);
  EXPECT_EQ(Read("b"), "C");
  EXPECT_EQ(Read("c"), "A");
  EXPECT_EQ(
      Err(::renameat2(AT_FDCWD, P("b").c_str(), AT_FDCWD, P("nope").c_str(), RENAME_EXCHANGE)),
      ENOENT);
}

TEST_P(PosixTest, RenameErrorsOfDirectories) {
  ASSERT_EQ(::mkdir(P("d").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(P("d/sub").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(P("full").c_str(), 0755), 0);
  Write("full/x", "x");
  Write("f", "f");
  EXPECT_EQ(Err(::rename(P("d").c_str(), P("full").c_str())), ENOTEMPTY);
  EXPECT_EQ(Err(::rename(P("d").c_str(), P("d/sub/in").c_str())), EINVAL);
  EXPECT_EQ(Err(::rename(P("f").c_str(), P("d").c_str())), EISDIR);
  EXPECT_EQ(Err(::rename(P("d").c_str(), P("f").c_str())), ENOTDIR);
  // Over an empty directory is fine, and moves the subtree.
  ASSERT_EQ(::mkdir(P("empty").c_str(), 0755), 0);
  ASSERT_EQ(::rename(P("d").c_str(), P("empty").c_str()), 0);
  EXPECT_TRUE(S_ISDIR(Stat("empty/sub").st_mode));
}

TEST_P(PosixTest, SymlinksResolveAndReadBack) {
  Write("target", "through the link");
  ASSERT_EQ(::symlink("target", P("link").c_str()), 0);
  char buf[64] = {};
  ASSERT_EQ(::readlink(P("link").c_str(), buf, sizeof buf), 6);
  EXPECT_STREQ(buf, "target");
  EXPECT_TRUE(S_ISLNK(Stat("link").st_mode));
  EXPECT_EQ(Stat("link").st_size, 6);
  EXPECT_EQ(Read("link"), "through the link");
  EXPECT_EQ(Err(::readlink(P("target").c_str(), buf, sizeof buf)), EINVAL);
  ASSERT_EQ(::symlink("nowhere", P("dangling").c_str()), 0);
  EXPECT_EQ(Err(::open(P("dangling").c_str(), O_RDONLY)), ENOENT);
}

TEST_P(PosixTest, HardLinksShareOneFile) {
  Write("a", "shared");
  ASSERT_EQ(::link(P("a").c_str(), P("b").c_str()), 0) << std::strerror(errno);
  EXPECT_EQ(Stat("a").st_ino, Stat("b").st_ino);
  EXPECT_EQ(Stat("a").st_nlink, 2u);
  Write("b", "changed through b");
  EXPECT_EQ(Read("a"), "changed through b");
  ASSERT_EQ(::unlink(P("a").c_str()), 0);
  EXPECT_EQ(Stat("b").st_nlink, 1u);
  EXPECT_EQ(Read("b"), "changed through b");
  ASSERT_EQ(::mkdir(P("d").c_str(), 0755), 0);
  EXPECT_EQ(Err(::link(P("d").c_str(), P("d2").c_str())), EPERM);
}

TEST_P(PosixTest, ChmodChownAndTimes) {
  Write("f", "x");
  ASSERT_EQ(::chmod(P("f").c_str(), 0600), 0);
  EXPECT_EQ(Stat("f").st_mode & 07777, 0600u);
  ASSERT_EQ(::chown(P("f").c_str(), 1234, 5678), 0) << std::strerror(errno);
  EXPECT_EQ(Stat("f").st_uid, 1234u);
  EXPECT_EQ(Stat("f").st_gid, 5678u);
  timespec times[2] = {{1'000'000'000, 0}, {1'234'567'890, 123'000'000}};
  ASSERT_EQ(::utimensat(AT_FDCWD, P("f").c_str(), times, 0), 0);
  EXPECT_EQ(Stat("f").st_mtim.tv_sec, 1'234'567'890);
  EXPECT_EQ(Stat("f").st_mtim.tv_nsec, 123'000'000);
}

TEST_P(PosixTest, MtimeSetBeforeCloseIsKept) {
  // What cp -p and tar do: write, set the times on the descriptor, close.
  int fd = ::open(P("f").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  PWriteAll(fd, "payload", 0);
  timespec times[2] = {{UTIME_OMIT, 0}, {1'500'000'000, 0}};
  ASSERT_EQ(::futimens(fd, times), 0);
  ASSERT_EQ(::close(fd), 0);
  EXPECT_EQ(Stat("f").st_mtim.tv_sec, 1'500'000'000);
  EXPECT_EQ(Read("f"), "payload");
}

TEST_P(PosixTest, ExtendedAttributes) {
  Write("f", "x");
  std::string path = P("f");
  ASSERT_EQ(::setxattr(path.c_str(), "user.color", "blue", 4, 0), 0) << std::strerror(errno);
  EXPECT_EQ(::getxattr(path.c_str(), "user.color", nullptr, 0), 4);
  char small[2];
  EXPECT_EQ(Err(static_cast<int>(::getxattr(path.c_str(), "user.color", small, sizeof small))),
            ERANGE);
  char buf[64] = {};
  ASSERT_EQ(::getxattr(path.c_str(), "user.color", buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "blue");
  EXPECT_EQ(Err(::setxattr(path.c_str(), "user.color", "red", 3, XATTR_CREATE)), EEXIST);
  EXPECT_EQ(Err(::setxattr(path.c_str(), "user.size", "1", 1, XATTR_REPLACE)), ENODATA);
  ASSERT_EQ(::setxattr(path.c_str(), "user.size", "1", 1, XATTR_CREATE), 0);
  ssize_t need = ::listxattr(path.c_str(), nullptr, 0);
  ASSERT_GT(need, 0);
  std::string names(static_cast<size_t>(need), '\0');
  EXPECT_EQ(Err(static_cast<int>(::listxattr(path.c_str(), names.data(), 1))), ERANGE);
  ASSERT_EQ(::listxattr(path.c_str(), names.data(), names.size()), need);
  std::set<std::string> listed;
  for (size_t at = 0; at < names.size(); at = names.find('\0', at) + 1) {
    listed.insert(names.c_str() + at);
  }
  EXPECT_TRUE(listed.contains("user.color"));
  EXPECT_TRUE(listed.contains("user.size"));
  ASSERT_EQ(::removexattr(path.c_str(), "user.color"), 0);
  EXPECT_EQ(Err(static_cast<int>(::getxattr(path.c_str(), "user.color", buf, sizeof buf))),
            ENODATA);
  EXPECT_EQ(Err(::removexattr(path.c_str(), "user.color")), ENODATA);
}

TEST_P(PosixTest, ListingReturnsEveryEntryOnce) {
  ASSERT_EQ(::mkdir(P("big").c_str(), 0755), 0);
  std::set<std::string> made;
  for (int i = 0; i < 2500; ++i) {
    std::string name = "entry-" + std::to_string(i);
    int fd = ::open(P("big/" + name).c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ::close(fd);
    made.insert(name);
  }
  DIR* d = ::opendir(P("big").c_str());
  ASSERT_NE(d, nullptr);
  std::multiset<std::string> seen;
  while (dirent* e = ::readdir(d)) seen.insert(e->d_name);
  ::closedir(d);
  EXPECT_EQ(seen.count("."), 1u);
  EXPECT_EQ(seen.count(".."), 1u);
  seen.erase(".");
  seen.erase("..");
  EXPECT_EQ(seen.size(), made.size());
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), made);
}

TEST_P(PosixTest, SeekdirReturnsToAPosition) {
  ASSERT_EQ(::mkdir(P("d").c_str(), 0755), 0);
  for (int i = 0; i < 50; ++i) Write("d/f" + std::to_string(i), "");
  DIR* d = ::opendir(P("d").c_str());
  ASSERT_NE(d, nullptr);
  for (int i = 0; i < 10; ++i) ASSERT_NE(::readdir(d), nullptr);
  long where = ::telldir(d);
  dirent* next = ::readdir(d);
  ASSERT_NE(next, nullptr);
  std::string name = next->d_name;
  for (int i = 0; i < 5; ++i) ASSERT_NE(::readdir(d), nullptr);
  ::seekdir(d, where);
  next = ::readdir(d);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->d_name, name);
  ::rewinddir(d);
  size_t count = 0;
  while (::readdir(d) != nullptr) ++count;
  EXPECT_EQ(count, 52u);
  ::closedir(d);
}

TEST_P(PosixTest, UnlinkedOpenFileStaysReadable) {
  std::string data = RandomBytes(150'000, 7);
  Write("f", data);
  int fd = ::open(P("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::unlink(P("f").c_str()), 0);
  EXPECT_EQ(Err(::access(P("f").c_str(), F_OK)), ENOENT);
  EXPECT_EQ(ReadAll(fd), data);
  ::close(fd);
}

// A reader opened while a writer still holds the file, then unlinked after
// the writer closed: the reader keeps the body it opened, whether or not the
// writer's release has reached the mount yet.
TEST_P(PosixTest, ReaderOpenedBesideAWriterSurvivesUnlink) {
  std::string data = RandomBytes(150'000, 8);
  int writer = ::open(P("f").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(writer, 0);
  PWriteAll(writer, data, 0);
  ASSERT_EQ(::fsync(writer), 0) << std::strerror(errno);
  int reader = ::open(P("f").c_str(), O_RDONLY);
  ASSERT_GE(reader, 0);
  ASSERT_EQ(::close(writer), 0);
  ASSERT_EQ(::unlink(P("f").c_str()), 0);
  EXPECT_EQ(ReadAll(reader), data);
  ::close(reader);
}

TEST_P(PosixTest, FileUnlinkedWhileWrittenClosesCleanly) {
  int fd = ::open(P("f").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  PWriteAll(fd, "doomed", 0);
  ASSERT_EQ(::unlink(P("f").c_str()), 0);
  EXPECT_EQ(::close(fd), 0) << std::strerror(errno);
  EXPECT_EQ(Err(::access(P("f").c_str(), F_OK)), ENOENT);
}

TEST_P(PosixTest, SeekDataAndHole) {
  Write("f", std::string(1000, 'd'));
  int fd = ::open(P("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::lseek(fd, 0, SEEK_DATA), 0);
  EXPECT_EQ(::lseek(fd, 10, SEEK_DATA), 10);
  EXPECT_EQ(::lseek(fd, 10, SEEK_HOLE), 1000);
  EXPECT_EQ(Err(static_cast<int>(::lseek(fd, 2000, SEEK_DATA))), ENXIO);
  EXPECT_EQ(Err(static_cast<int>(::lseek(fd, 1000, SEEK_HOLE))), ENXIO);
  ::close(fd);
}

TEST_P(PosixTest, FallocateExtendsOrKeepsTheSize) {
  int fd = ::open(P("f").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::fallocate(fd, 0, 0, 8192), 0) << std::strerror(errno);
  struct stat st;
  ASSERT_EQ(::fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, 8192);
  ASSERT_EQ(::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 65536), 0);
  ASSERT_EQ(::fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, 8192);
  PWriteAll(fd, "abcdef", 0);
  ASSERT_EQ(::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1, 2), 0);
  ASSERT_EQ(::close(fd), 0);
  std::string expected(8192, '\0');
  expected.replace(0, 6, std::string("a\0\0def", 6));
  EXPECT_EQ(Read("f"), expected);
}

TEST_P(PosixTest, CopyFileRangeCopiesBytes) {
  std::string data = RandomBytes(200'000, 3);
  Write("src", data);
  int in = ::open(P("src").c_str(), O_RDONLY);
  int out = ::open(P("dst").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(in, 0);
  ASSERT_GE(out, 0);
  size_t copied = 0;
  while (copied < data.size()) {
    ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, data.size() - copied, 0);
    ASSERT_GT(n, 0) << std::strerror(errno);
    copied += static_cast<size_t>(n);
  }
  ::close(in);
  ASSERT_EQ(::close(out), 0);
  EXPECT_EQ(Read("dst"), data);
}

TEST_P(PosixTest, StatfsAndAccess) {
  struct statvfs st;
  ASSERT_EQ(::statvfs(root_.c_str(), &st), 0);
  EXPECT_EQ(st.f_namemax, 255u);
  EXPECT_GT(st.f_bavail, 0u);
  Write("f", "x");
  EXPECT_EQ(::access(P("f").c_str(), R_OK | W_OK), 0);
  EXPECT_EQ(Err(::access(P("f").c_str(), X_OK)), EACCES);
  EXPECT_EQ(Err(::access(P("missing").c_str(), F_OK)), ENOENT);
}

TEST_P(PosixTest, LocksExcludeOtherDescriptors) {
  Write("f", "x");
  int a = ::open(P("f").c_str(), O_RDWR);
  int b = ::open(P("f").c_str(), O_RDWR);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  ASSERT_EQ(::flock(a, LOCK_EX), 0);
  EXPECT_EQ(Err(::flock(b, LOCK_EX | LOCK_NB)), EWOULDBLOCK);
  ASSERT_EQ(::flock(a, LOCK_UN), 0);
  EXPECT_EQ(::flock(b, LOCK_EX | LOCK_NB), 0);
  ::flock(b, LOCK_UN);
  struct flock lock = {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  ASSERT_EQ(::fcntl(a, F_OFD_SETLK, &lock), 0);
  EXPECT_EQ(Err(::fcntl(b, F_OFD_SETLK, &lock)), EAGAIN);
  ::close(a);
  ::close(b);
}

TEST_P(PosixTest, MmapReadsTheFile) {
  std::string data = RandomBytes(100'000, 11);
  Write("f", data);
  int fd = ::open(P("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  void* map = ::mmap(nullptr, data.size(), PROT_READ, MAP_SHARED, fd, 0);
  ASSERT_NE(map, MAP_FAILED) << std::strerror(errno);
  EXPECT_EQ(std::string(static_cast<const char*>(map), data.size()), data);
  ::munmap(map, data.size());
  ::close(fd);
}

TEST_P(PosixTest, FsyncMakesWritesDurableWhileOpen) {
  int fd = ::open(P("f").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  PWriteAll(fd, "first", 0);
  ASSERT_EQ(::fsync(fd), 0);
  PWriteAll(fd, "second", 5);
  ASSERT_EQ(::fdatasync(fd), 0);
  ASSERT_EQ(::close(fd), 0);
  EXPECT_EQ(Read("f"), "firstsecond");
}

INSTANTIATE_TEST_SUITE_P(Backends, PosixTest, ::testing::Values("nokv", "tmpfs"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace nokv
