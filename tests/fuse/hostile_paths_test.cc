// Hostile paths and names through a mount made by the `nokv` binary (issue
// #19): overlong names, a tree past the depth limit, names that are not
// UTF-8, symbolic link loops, and links that lead out of `mount --root`.
// The kernel resolves links on a mount, so a link out of the root reaches
// the host's file system, never NoKV's namespace outside the root.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <vector>

#include "cli/ready_child.h"
#include "cli/run_nokv.h"
#include "test_dir.h"

namespace nokv::testing {
namespace {

class HostilePathsMountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/fuse";
    ASSERT_EQ(Nokv({"init"}).exit_code, 0);
    ASSERT_EQ(Nokv({"put", "-", "/outside/secret"}, "secret").exit_code, 0);
    ASSERT_EQ(Nokv({"put", "-", "/r/in/file"}, "inside").exit_code, 0);
    for (const auto& [target, link] :
         std::vector<std::pair<std::string, std::string>>{{"/outside", "/r/abs"},
                                                          {"../../outside", "/r/in/up"},
                                                          {"loop2", "/r/loop1"},
                                                          {"loop1", "/r/loop2"}}) {
      ASSERT_EQ(Nokv({"ln", "-s", target, link}).exit_code, 0) << link;
    }
    mkdir(mountpoint_.c_str(), 0755);
  }
  void TearDown() override {
    if (mount_ != nullptr) {
      RunProgram({"fusermount3", "-u", mountpoint_});
      mount_->Stop(SIGTERM);
      RunProgram({"fusermount3", "-uz", mountpoint_});
    }
  }
  RunResult Nokv(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {NOKV_BINARY, "--data-dir", dir_.Sub("data")});
    return RunProgram(args, input);
  }
  bool Mount(const std::vector<std::string>& flags) {
    std::vector<std::string> argv = {NOKV_BINARY, "--data-dir", dir_.Sub("data"), "mount",
                                     mountpoint_};
    argv.insert(argv.end(), flags.begin(), flags.end());
    mount_ = std::make_unique<ChildProcess>(argv, "nokv: mounted");
    return mount_->ready();
  }
  std::string At(const std::string& rel) const { return mountpoint_ + "/" + rel; }

  TempDir dir_;
  std::string mountpoint_ = dir_.Sub("mnt");
  std::unique_ptr<ChildProcess> mount_;
};

int ErrnoOfOpen(const std::string& path, int flags = O_RDONLY) {
  int fd = open(path.c_str(), flags, 0644);
  if (fd >= 0) {
    close(fd);
    return 0;
  }
  return errno;
}

TEST_F(HostilePathsMountTest, NamesLoopsAndDepthGetTheirErrno) {
  ASSERT_TRUE(Mount({})) << mount_->log();
  EXPECT_EQ(ErrnoOfOpen(At(std::string(256, 'n')), O_CREAT | O_WRONLY), ENAMETOOLONG);
  EXPECT_EQ(ErrnoOfOpen(At(std::string(255, 'n')), O_CREAT | O_WRONLY), 0);
  EXPECT_EQ(ErrnoOfOpen(At("r/loop1/x")), ELOOP);
  // A name that is not UTF-8 is bytes, both ways.
  const std::string odd = "caf\xe9\xff";
  ASSERT_EQ(ErrnoOfOpen(At(odd), O_CREAT | O_WRONLY), 0);
  bool listed = false;
  DIR* d = opendir(mountpoint_.c_str());
  ASSERT_NE(d, nullptr);
  while (dirent* e = readdir(d)) listed |= odd == e->d_name;
  closedir(d);
  EXPECT_TRUE(listed);
  // Depth: mkdir one level at a time, relative to the last, past 4096.
  int dir = open(mountpoint_.c_str(), O_DIRECTORY | O_RDONLY);
  ASSERT_GE(dir, 0);
  int made = 0, refused = 0;
  for (int depth = 1; depth <= 4100 && refused == 0; ++depth) {
    if (mkdirat(dir, "d", 0755) != 0) {
      refused = errno;
      break;
    }
    int next = openat(dir, "d", O_DIRECTORY | O_RDONLY);
    close(dir);
    dir = next;
    ASSERT_GE(dir, 0) << depth;
    made = depth;
  }
  close(dir);
  EXPECT_EQ(made, 4096) << "kMaxDepth";
  EXPECT_EQ(refused, EINVAL);
}

TEST_F(HostilePathsMountTest, LinksOutOfTheMountedRootNeverReachTheNamespaceOutsideIt) {
  ASSERT_TRUE(Mount({"--root", "/r"})) << mount_->log();
  std::ifstream inside(At("in/file"));
  std::string text;
  std::getline(inside, text);
  EXPECT_EQ(text, "inside");
  // The link's target is shown as stored; the kernel resolves it on the
  // host, where /outside/secret does not exist.
  char target[256] = {};
  ASSERT_GT(readlink(At("abs").c_str(), target, sizeof(target) - 1), 0);
  EXPECT_STREQ(target, "/outside");
  struct stat st {};
  ASSERT_NE(stat("/outside/secret", &st), 0) << "the host must not have /outside/secret";
  EXPECT_EQ(ErrnoOfOpen(At("abs/secret")), ENOENT);
  EXPECT_EQ(ErrnoOfOpen(At("in/up/secret")), ENOENT);
  EXPECT_EQ(ErrnoOfOpen(At("../outside/secret")), ENOENT);
}

}  // namespace
}  // namespace nokv::testing
