#include "common/fault_env.h"

#include <gtest/gtest.h>

#include "test_dir.h"

namespace nokv {
namespace {

class FaultEnvTest : public ::testing::Test {
 protected:
  std::string Read(const std::string& name) {
    std::string bytes;
    EXPECT_TRUE(env_.ReadFileToString(dir_.Sub(name), &bytes).ok());
    return bytes;
  }
  testing::TempDir dir_;
  FaultInjectionEnv env_{Env::Default()};
};

TEST_F(FaultEnvTest, CrashDropsUnsyncedTailButKeepsSyncedBytes) {
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  auto file = env_.NewWritableFile(dir_.Sub("log"));
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE((*file)->Append("durable").ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Append("-lost").ok());
  file->reset();
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Read("log"), "durable");
}

TEST_F(FaultEnvTest, TornCrashKeepsAPrefixOfTheUnsyncedTail) {
  auto file = env_.NewWritableFile(dir_.Sub("log"));
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE((*file)->Append("abc").ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Append(std::string(1000, 'x')).ok());
  file->reset();
  ASSERT_TRUE(env_.SimulateCrash(7).ok());
  std::string bytes = Read("log");
  ASSERT_GE(bytes.size(), 3u);
  EXPECT_LE(bytes.size(), 1003u);
  EXPECT_EQ(bytes.substr(0, 3), "abc");
}

TEST_F(FaultEnvTest, FileCreatedWithoutDirSyncVanishes) {
  auto file = env_.NewWritableFile(dir_.Sub("new"));
  ASSERT_TRUE((*file)->Append("x").ok());
  ASSERT_TRUE((*file)->Sync().ok());
  file->reset();
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_FALSE(env_.FileExists(dir_.Sub("new")));
}

TEST_F(FaultEnvTest, UndurableRenameIsUndone) {
  ASSERT_TRUE(env_.WriteFileAtomically(dir_.Sub("CURRENT"), "old").ok());
  {
    auto tmp = env_.NewWritableFile(dir_.Sub("CURRENT.tmp"));
    ASSERT_TRUE((*tmp)->Append("new").ok());
    ASSERT_TRUE((*tmp)->Sync().ok());
  }
  ASSERT_TRUE(env_.RenameFile(dir_.Sub("CURRENT.tmp"), dir_.Sub("CURRENT")).ok());
  EXPECT_EQ(Read("CURRENT"), "new");
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Read("CURRENT"), "old");
}

TEST_F(FaultEnvTest, CrashAfterBudgetFailsEveryLaterMutation) {
  auto file = env_.NewWritableFile(dir_.Sub("f"));
  ASSERT_TRUE(file.ok());
  env_.CrashAfter(1);
  EXPECT_TRUE((*file)->Append("a").ok());
  EXPECT_EQ((*file)->Append("b").code(), Code::kIOError);
  EXPECT_EQ((*file)->Sync().code(), Code::kIOError);
  EXPECT_TRUE(env_.crashed());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_FALSE(env_.crashed());
}

TEST_F(FaultEnvTest, ShortWriteWritesHalfAndFails) {
  auto file = env_.NewWritableFile(dir_.Sub("f"));
  env_.ShortWriteNext();
  EXPECT_FALSE((*file)->Append("12345678").ok());
  EXPECT_EQ((*file)->Size(), 4u);
  EXPECT_TRUE((*file)->Append("9").ok());
}

TEST_F(FaultEnvTest, SyncFileByPathMakesAnotherWritersDataDurable) {
  {
    auto file = env_.NewWritableFile(dir_.Sub("f"));
    ASSERT_TRUE((*file)->Append("written, closed, never synced by its writer").ok());
  }
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(env_.SyncFile(dir_.Sub("f")).ok());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Read("f"), "written, closed, never synced by its writer");
  EXPECT_TRUE(env_.SyncFile(dir_.Sub("missing")).Is(Code::kNotFound));
}

TEST_F(FaultEnvTest, LinkNeverReplacesAndItsEntryNeedsADirSync) {
  {
    auto file = env_.NewWritableFile(dir_.Sub("tmp"));
    ASSERT_TRUE((*file)->Append("body").ok());
    ASSERT_TRUE((*file)->Sync().ok());
  }
  ASSERT_TRUE(env_.LinkFile(dir_.Sub("tmp"), dir_.Sub("a")).ok());
  EXPECT_TRUE(env_.LinkFile(dir_.Sub("tmp"), dir_.Sub("a")).Is(Code::kAlreadyExists));
  ASSERT_TRUE(env_.LinkFile(dir_.Sub("tmp"), dir_.Sub("b")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(env_.LinkFile(dir_.Sub("tmp"), dir_.Sub("c")).ok());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Read("a"), "body");
  EXPECT_EQ(Read("b"), "body");
  EXPECT_FALSE(env_.FileExists(dir_.Sub("c")));  // linked after the last dir sync
}

TEST_F(FaultEnvTest, TrackedDirectoriesAreLostUnlessTheirParentWasSynced) {
  env_.TrackDirectories();
  ASSERT_TRUE(env_.CreateDirs(dir_.Sub("kept/inner")).ok());
  ASSERT_TRUE(env_.CreateDirs(dir_.Sub("lost/inner")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(env_.SyncDir(dir_.Sub("kept")).ok());
  ASSERT_TRUE(env_.RemoveDir(dir_.Sub("lost/inner")).ok());
  ASSERT_TRUE(env_.CreateDirs(dir_.Sub("lost/inner")).ok());  // recreated, unsynced
  {
    auto file = env_.NewWritableFile(dir_.Sub("lost/inner/f"));
    ASSERT_TRUE((*file)->Append("x").ok());
    ASSERT_TRUE((*file)->Sync().ok());
  }
  ASSERT_TRUE(env_.SyncDir(dir_.Sub("lost/inner")).ok());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_TRUE(env_.FileExists(dir_.Sub("kept/inner")));
  EXPECT_TRUE(env_.FileExists(dir_.Sub("lost")));
  EXPECT_FALSE(env_.FileExists(dir_.Sub("lost/inner")));  // and the synced file in it
}

}  // namespace
}  // namespace nokv
