#include "common/env.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_dir.h"

namespace nokv {
namespace {

TEST(EnvTest, WriteReadRenameRemove) {
  testing::TempDir dir;
  Env* env = Env::Default();
  std::string path = dir.Sub("a");
  auto file = env->NewWritableFile(path);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("hello ").ok());
  ASSERT_TRUE((*file)->Append("world").ok());
  EXPECT_EQ((*file)->Size(), 11u);
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Close().ok());

  std::string bytes;
  ASSERT_TRUE(env->ReadFileToString(path, &bytes).ok());
  EXPECT_EQ(bytes, "hello world");
  ASSERT_TRUE(env->RenameFile(path, dir.Sub("b")).ok());
  EXPECT_FALSE(env->FileExists(path));
  auto children = env->GetChildren(dir.path());
  ASSERT_TRUE(children.ok());
  EXPECT_EQ(*children, std::vector<std::string>{"b"});
  ASSERT_TRUE(env->RemoveFile(dir.Sub("b")).ok());
  EXPECT_EQ(env->RemoveFile(dir.Sub("b")).code(), Code::kNotFound);
}

TEST(EnvTest, AtomicWriteReplacesWholeFile) {
  testing::TempDir dir;
  Env* env = Env::Default();
  ASSERT_TRUE(env->WriteFileAtomically(dir.Sub("CURRENT"), "one").ok());
  ASSERT_TRUE(env->WriteFileAtomically(dir.Sub("CURRENT"), "two").ok());
  std::string bytes;
  ASSERT_TRUE(env->ReadFileToString(dir.Sub("CURRENT"), &bytes).ok());
  EXPECT_EQ(bytes, "two");
  EXPECT_FALSE(env->FileExists(dir.Sub("CURRENT.tmp")));
}

TEST(EnvTest, SecondLockFromAnotherProcessNamesTheHolder) {
  testing::TempDir dir;
  Env* env = Env::Default();
  auto lock = env->LockFile(dir.Sub("LOCK"));
  ASSERT_TRUE(lock.ok());
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t child = fork();
  if (child == 0) {
    auto second = Env::Default()->LockFile(dir.Sub("LOCK"));
    std::string msg = second.ok() ? "acquired" : second.status().ToString();
    ssize_t ignored = write(pipefd[1], msg.data(), msg.size());
    (void)ignored;
    _exit(0);
  }
  close(pipefd[1]);
  char buf[256] = {0};
  ssize_t n = read(pipefd[0], buf, sizeof(buf) - 1);
  waitpid(child, nullptr, 0);
  std::string msg(buf, n > 0 ? static_cast<size_t>(n) : 0);
  EXPECT_NE(msg.find("busy"), std::string::npos) << msg;
  EXPECT_NE(msg.find("held by pid " + std::to_string(getpid())), std::string::npos) << msg;
}

TEST(EnvTest, SharedLocksCoexistAndExcludeAnExclusiveOne) {
  testing::TempDir dir;
  Env* env = Env::Default();
  EXPECT_EQ(env->LockFileShared(dir.Sub("LOCK")).status().code(), Code::kNotFound);
  { ASSERT_TRUE(env->LockFile(dir.Sub("LOCK")).ok()); }  // creates it, records our pid
  std::string before;
  ASSERT_TRUE(env->ReadFileToString(dir.Sub("LOCK"), &before).ok());
  auto first = env->LockFileShared(dir.Sub("LOCK"));
  auto second = env->LockFileShared(dir.Sub("LOCK"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto exclusive = env->LockFile(dir.Sub("LOCK"));
  ASSERT_FALSE(exclusive.ok());
  EXPECT_EQ(exclusive.status().code(), Code::kBusy);
  std::string after;
  ASSERT_TRUE(env->ReadFileToString(dir.Sub("LOCK"), &after).ok());
  EXPECT_EQ(after, before);  // shared holders write nothing
  first->reset();
  second->reset();
  auto exclusive_again = env->LockFile(dir.Sub("LOCK"));
  ASSERT_TRUE(exclusive_again.ok());
  auto shared = env->LockFileShared(dir.Sub("LOCK"));
  ASSERT_FALSE(shared.ok());
  EXPECT_EQ(shared.status().code(), Code::kBusy);
}

TEST(EnvTest, AllocateFileReservesTheRequestedBytes) {
  testing::TempDir dir;
  ASSERT_TRUE(Env::Default()->AllocateFile(dir.Sub("RESERVE"), 3 << 20).ok());
  auto size = Env::Default()->GetFileSize(dir.Sub("RESERVE"));
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 3u << 20);
}

TEST(EnvTest, CreateDirsMakesParents) {
  testing::TempDir dir;
  ASSERT_TRUE(Env::Default()->CreateDirs(dir.Sub("x/y/z")).ok());
  EXPECT_TRUE(Env::Default()->FileExists(dir.Sub("x/y/z")));
  EXPECT_TRUE(Env::Default()->CreateDirs(dir.Sub("x/y")).ok());
}

TEST(PathTest, JoinAndDirName) {
  EXPECT_EQ(JoinPath("a/b", "c"), "a/b/c");
  EXPECT_EQ(JoinPath("a/b/", "c"), "a/b/c");
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(DirName("/c"), "/");
}

}  // namespace
}  // namespace nokv
