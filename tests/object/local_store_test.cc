// LocalStore specifics: the on-disk layout, atomic replacement, leftovers,
// fault injection through the Env.
#include "object/local_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <latch>
#include <thread>

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

TEST(LocalStoreTest, OpenRemovesTempFilesOfGoneWritersAndIgnoresForeignFiles) {
  testing::TempDir dir;
  {
    auto store = LocalStore::Open(dir.path()).value();
    ASSERT_TRUE(store->Put("k", "v").ok());
  }
  // A store that died: its temp dir and lock file remain, nobody holds it.
  std::filesystem::create_directories(dir.path() + "/.tmp/77-0-1");
  std::ofstream(dir.path() + "/.tmp/77-0-1/lock") << "77\n";
  std::ofstream(dir.path() + "/.tmp/77-0-1/3") << "half written";
  // A loose temp file of an older NoKV whose process (pid beyond pid_max) is gone.
  std::ofstream(dir.path() + "/.tmp/999999999-4") << "half written";
  std::ofstream(dir.path() + "/README.txt") << "not an object";
  auto store = LocalStore::Open(dir.path()).value();
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/.tmp/77-0-1"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/.tmp/999999999-4"));
  size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() + "/.tmp")) {
    EXPECT_TRUE(entry.is_directory()) << entry.path();  // only the open store's own dir
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
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
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path() + "/.tmp")) {
    EXPECT_TRUE(entry.is_directory() || entry.path().filename() == "lock") << entry.path();
  }
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

TEST(LocalStoreTest, OpeningASecondStoreKeepsTheFirstStoresPutInFlight) {
  testing::TempDir dir;
  FaultInjectionEnv env(Env::Default());
  LocalStoreOptions options;
  options.env = &env;
  auto first = LocalStore::Open(dir.path(), options).value();
  // Pause the first store's put after its temp file exists, open a second
  // store on the same directory, then let the put finish.
  std::latch writing(1), opened(1);
  env.SetAppendHook([&](const std::string&) {
    writing.count_down();
    opened.wait();
  });
  Status put;
  std::thread writer([&] { put = first->Put("k", "in flight"); });
  writing.wait();
  env.SetAppendHook(nullptr);
  auto second = LocalStore::Open(dir.path(), options);
  opened.count_down();
  writer.join();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_TRUE(put.ok()) << put.ToString();
  EXPECT_EQ((*second)->Get("k").value(), "in flight");
  ASSERT_TRUE((*second)->Put("k2", "also").ok());
  EXPECT_EQ(first->Get("k2").value(), "also");
}

TEST(LocalStoreTest, IfNoneMatchAdmitsExactlyOneWriterAcrossStores) {
  // Two stores on one directory (as two processes would be) do not share
  // stripe locks: only the filesystem can make the check-and-create atomic.
  testing::TempDir dir;
  auto a = LocalStore::Open(dir.path()).value();
  auto b = LocalStore::Open(dir.path()).value();
  constexpr int kKeys = 50;
  constexpr int kThreads = 6;
  std::atomic<int> winners[kKeys] = {};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      LocalStore* store = t % 2 == 0 ? a.get() : b.get();
      PutOptions once;
      once.if_none_match = true;
      start.arrive_and_wait();
      for (int k = 0; k < kKeys; ++k) {
        Status s = store->Put("race/" + std::to_string(k), "writer " + std::to_string(t), once);
        if (s.ok()) {
          ++winners[k];
        } else {
          EXPECT_TRUE(s.Is(Code::kAlreadyExists)) << s.ToString();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int k = 0; k < kKeys; ++k) EXPECT_EQ(winners[k].load(), 1) << "key " << k;
}

TEST(LocalStoreTest, HeadAndListReportTheFileTimeAndAReputRefreshesIt) {
  testing::TempDir dir;
  auto store = LocalStore::Open(dir.path()).value();
  ASSERT_TRUE(store->Put("t/k", "one").ok());
  std::string path = store->PathForKey("t/k").value();
  // Age the file by an hour so a fresh put is visibly newer.
  auto old_time = std::filesystem::last_write_time(path) - std::chrono::hours(1);
  std::filesystem::last_write_time(path, old_time);
  int64_t aged = store->Head("t/k")->last_modified_ns;
  EXPECT_GT(aged, 0);
  auto listed = store->List(ListOptions{}).value();
  ASSERT_EQ(listed.objects.size(), 1u);
  EXPECT_EQ(listed.objects[0].last_modified_ns, aged);
  ASSERT_TRUE(store->Put("t/k", "two").ok());
  int64_t fresh = store->Head("t/k")->last_modified_ns;
  EXPECT_GE(fresh - aged, int64_t{3500} * 1'000'000'000);
}

}  // namespace
}  // namespace nokv::object
