// LocalStore specifics: the on-disk layout, atomic replacement, leftovers,
// fault injection through the Env.
#include "object/local_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/fault_env.h"
#include "test_dir.h"

namespace nokv::object {
namespace {

TEST(SegmentEscapeTest, EscapesEverythingButPlainBytesAndRoundTrips) {
  EXPECT_EQ(EscapeSegment("abc-_XYZ09"), "abc-_XYZ09");
  EXPECT_EQ(EscapeSegment("a.b c"), "a%2Eb%20c");
  EXPECT_EQ(EscapeSegment(""), "@");
  EXPECT_EQ(EscapeSegment(".."), "%2E%2E");
  for (std::string s : {"", "x", "a b+c%d", "\xC3\xA9\xFF\x01", "@", "..", "x.d"}) {
    std::string back;
    ASSERT_TRUE(UnescapeSegment(EscapeSegment(s), &back)) << s;
    EXPECT_EQ(back, s);
  }
  std::string out;
  EXPECT_FALSE(UnescapeSegment("a.d", &out));
  EXPECT_FALSE(UnescapeSegment("%4", &out));
  EXPECT_FALSE(UnescapeSegment("%zz", &out));
}

TEST(LocalStoreTest, KeysMapToEscapedPathsAndFileAndDirectoryKeysCoexist) {
  testing::TempDir dir;
  auto store = LocalStore::Open(dir.path()).value();
  EXPECT_EQ(store->PathForKey("blocks/ab/abcd").value(), dir.path() + "/blocks.d/ab.d/abcd");
  ASSERT_TRUE(store->Put("a", "file").ok());
  ASSERT_TRUE(store->Put("a/b", "nested").ok());
  EXPECT_EQ(store->Get("a").value(), "file");
  EXPECT_EQ(store->Get("a/b").value(), "nested");
  EXPECT_TRUE(std::filesystem::is_regular_file(dir.path() + "/a"));
  EXPECT_TRUE(std::filesystem::is_regular_file(dir.path() + "/a.d/b"));
}

TEST(LocalStoreTest, OverlongSegmentIsInvalidArgument) {
  testing::TempDir dir;
  auto store = LocalStore::Open(dir.path()).value();
  std::string key(200, '.');  // every byte escapes to three
  EXPECT_TRUE(store->Put(key, "x").Is(Code::kInvalidArgument));
}

TEST(LocalStoreTest, OpenRemovesLeftoverTempFilesAndIgnoresForeignFiles) {
  testing::TempDir dir;
  {
    auto store = LocalStore::Open(dir.path()).value();
    ASSERT_TRUE(store->Put("k", "v").ok());
  }
  std::ofstream(dir.path() + "/.tmp/123-4") << "half written";
  std::ofstream(dir.path() + "/README.txt") << "not an object";
  auto store = LocalStore::Open(dir.path()).value();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() + "/.tmp"));
  auto listed = store->List(ListOptions{}).value();
  ASSERT_EQ(listed.objects.size(), 1u);
  EXPECT_EQ(listed.objects[0].key, "k");
}

TEST(LocalStoreTest, SurvivesRemovalOfItsWholeDirectoryContents) {
  testing::TempDir dir;
  auto store = LocalStore::Open(dir.path()).value();
  ASSERT_TRUE(store->Put("x/y", "1").ok());
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    std::filesystem::remove_all(entry.path());
  }
  EXPECT_TRUE(store->Get("x/y").status().Is(Code::kNotFound));
  EXPECT_TRUE(store->List(ListOptions{}).value().objects.empty());
  ASSERT_TRUE(store->Put("x/y", "2").ok());
  EXPECT_EQ(store->Get("x/y").value(), "2");
}

TEST(LocalStoreTest, FailedWriteLeavesNoObjectAndNoTempFile) {
  testing::TempDir dir;
  FaultInjectionEnv env(Env::Default());
  LocalStoreOptions options;
  options.env = &env;
  auto store = LocalStore::Open(dir.path(), options).value();
  ASSERT_TRUE(store->Put("k", "old").ok());
  env.ShortWriteNext();
  Status s = store->Put("k", std::string(10000, 'n'));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(store->Get("k").value(), "old");
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() + "/.tmp"));
}

TEST(LocalStoreTest, FsyncedPutSurvivesACrash) {
  testing::TempDir dir;
  FaultInjectionEnv env(Env::Default());
  LocalStoreOptions options;
  options.env = &env;
  options.fsync = true;
  {
    auto store = LocalStore::Open(dir.path(), options).value();
    ASSERT_TRUE(store->Put("deep/key/here", "durable").ok());
  }
  ASSERT_TRUE(env.SimulateCrash().ok());
  auto store = LocalStore::Open(dir.path(), options).value();
  EXPECT_EQ(store->Get("deep/key/here").value(), "durable");
}

TEST(LocalStoreTest, CrashMidPutNeverExposesAPartialBody) {
  testing::TempDir dir;
  FaultInjectionEnv env(Env::Default());
  LocalStoreOptions options;
  options.env = &env;
  options.fsync = true;
  std::string body(50000, 'b');
  for (int budget = 0; budget < 8; ++budget) {
    {
      auto store = LocalStore::Open(dir.path(), options).value();
      env.CrashAfter(budget);
      (void)store->Put("obj", body);
    }
    ASSERT_TRUE(env.SimulateCrash(static_cast<uint32_t>(budget)).ok());
    auto store = LocalStore::Open(dir.path(), options).value();
    auto got = store->Get("obj");
    if (got.ok()) {
      EXPECT_EQ(*got, body) << "budget " << budget;
    } else {
      EXPECT_TRUE(got.status().Is(Code::kNotFound)) << got.status().ToString();
    }
  }
}

}  // namespace
}  // namespace nokv::object
