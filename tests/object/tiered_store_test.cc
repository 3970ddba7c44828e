// TieredStore: LRU eviction by bytes, read-through fill (in the background),
// write-through, the residency index across reopen, checks of hot block
// copies it cannot vouch for, and degradation to the cold store when the hot
// tier loses its files or its disk fills up.
#include "object/tiered_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <thread>

#include "common/env_wrapper.h"
#include "common/thread_pool.h"
#include "object/block.h"
#include "object/block_reader.h"
#include "object/block_writer.h"
#include "object/memory_store.h"
#include "store_conformance.h"
#include "test_dir.h"

namespace nokv::object {
namespace {

using testing::RandomBytes;

// An Env whose files report a full disk while `full` is set.
class FullDiskEnv final : public EnvWrapper {
 public:
  FullDiskEnv() : EnvWrapper(Env::Default()) {}
  std::atomic<bool> full{false};

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    if (full) return NoSpace(path);
    return EnvWrapper::NewWritableFile(path);
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    if (full) return NoSpace(path);
    return EnvWrapper::NewAppendableFile(path);
  }
  Status CreateDirs(const std::string& d) override {
    if (full) return NoSpace(d);
    return EnvWrapper::CreateDirs(d);
  }
  Status LinkFile(const std::string& f, const std::string& t) override {
    if (full) return NoSpace(t);
    return EnvWrapper::LinkFile(f, t);
  }

 private:
  static Status NoSpace(const std::string& path) {
    return Status::NoSpace("injected: no space left on device: " + path);
  }
};

class TieredStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<TieredStore> Open(uint64_t capacity, Env* env = nullptr) {
    TieredStoreOptions options;
    options.capacity_bytes = capacity;
    options.max_fill_bytes = 10'000;
    options.env = env;
    auto store = TieredStore::Open(&cold_, dir_.path(), options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  nokv::testing::TempDir dir_;
  MemoryStore cold_;
};

TEST_F(TieredStoreTest, WritesGoThroughAndReadsHitTheHotTier) {
  auto store = Open(100'000);
  ASSERT_TRUE(store->Put("a", "alpha").ok());
  EXPECT_EQ(cold_.Get("a").value(), "alpha");
  EXPECT_TRUE(store->IsResident("a"));
  EXPECT_EQ(store->Get("a").value(), "alpha");
  EXPECT_EQ(store->stats().hot_hits, 1u);
  EXPECT_EQ(store->stats().cold_reads, 0u);
}

TEST_F(TieredStoreTest, MissFillsFromColdAndEvictsLeastRecentlyUsed) {
  auto store = Open(3000);
  for (const char* k : {"k1", "k2", "k3", "k4"})
    ASSERT_TRUE(cold_.Put(k, std::string(1000, *k)).ok());
  for (const char* k : {"k1", "k2", "k3"}) {
    ASSERT_EQ(store->Get(k).value().size(), 1000u);
    store->WaitForFills();  // fills land in the background, in order
  }
  ASSERT_TRUE(store->Get("k1").ok());  // k1 is now more recent than k2
  ASSERT_TRUE(store->Get("k4").ok());  // evicts k2
  store->WaitForFills();
  EXPECT_TRUE(store->IsResident("k1"));
  EXPECT_FALSE(store->IsResident("k2"));
  EXPECT_TRUE(store->IsResident("k3"));
  EXPECT_TRUE(store->IsResident("k4"));
  TieredStats stats = store->stats();
  EXPECT_EQ(stats.resident_bytes, 3000u);
  EXPECT_EQ(stats.evictions, 1u);
  EXPECT_EQ(stats.cold_reads, 4u);
  EXPECT_EQ(stats.hot_hits, 1u);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/objects/k2"));
}

TEST_F(TieredStoreTest, RangedMissFillsTheWholeSmallObject) {
  auto store = Open(100'000);
  std::string body = RandomBytes(5000, 1);
  ASSERT_TRUE(cold_.Put("r", body).ok());
  EXPECT_EQ(store->GetRange("r", ByteRange{100, 50}).value(), body.substr(100, 50));
  store->WaitForFills();
  EXPECT_TRUE(store->IsResident("r"));
  EXPECT_EQ(store->GetRange("r", ByteRange{4000, 50}).value(), body.substr(4000, 50));
  EXPECT_EQ(store->stats().hot_hits, 1u);
  // Objects above max_fill_bytes are read by range and not cached.
  std::string big = RandomBytes(20'000, 2);
  ASSERT_TRUE(cold_.Put("big", big).ok());
  EXPECT_EQ(store->GetRange("big", ByteRange{15'000, 10}).value(), big.substr(15'000, 10));
  EXPECT_EQ(store->GetRange("big", ByteRange{0, 10}).value(), big.substr(0, 10));
  EXPECT_FALSE(store->IsResident("big"));
}

TEST_F(TieredStoreTest, ResidencyIndexSurvivesReopenWithItsRecencyOrder) {
  {
    auto store = Open(10'000);
    for (const char* k : {"x", "y", "z"}) ASSERT_TRUE(store->Put(k, std::string(1000, *k)).ok());
    ASSERT_TRUE(store->Get("x").ok());  // order now x, z, y (most recent first)
  }
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/residency.idx"));
  auto store = Open(2000);  // a smaller cap evicts the least recent on open
  EXPECT_TRUE(store->IsResident("x"));
  EXPECT_TRUE(store->IsResident("z"));
  EXPECT_FALSE(store->IsResident("y"));
  EXPECT_EQ(store->stats().resident_bytes, 2000u);
}

TEST_F(TieredStoreTest, CorruptIndexFileIsRebuiltFromTheDirectory) {
  {
    auto store = Open(10'000);
    ASSERT_TRUE(store->Put("p", "pp").ok());
    ASSERT_TRUE(store->Put("q", "qqq").ok());
  }
  std::ofstream(dir_.path() + "/residency.idx", std::ios::trunc) << "NKVRESI\ngarbage";
  auto store = Open(10'000);
  EXPECT_TRUE(store->IsResident("p"));
  EXPECT_TRUE(store->IsResident("q"));
  EXPECT_EQ(store->stats().resident_bytes, 5u);
}

TEST_F(TieredStoreTest, ResidencyIndexEncodingRoundTripsAndRejectsDamage) {
  ResidencyIndex index;
  index.Insert("one", 1);
  index.Insert("two", 22);
  index.Insert(std::string("bin\0ary", 7), 333);
  std::string data = index.Encode();
  EXPECT_EQ(data.substr(0, 8), "NKVRESI\n");
  auto entries = ResidencyIndex::Decode(data);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].key, std::string("bin\0ary", 7));
  EXPECT_EQ((*entries)[2].size, 1u);
  for (size_t i = 0; i < data.size(); ++i) {
    std::string damaged = data;
    damaged[i] ^= 0x20;
    EXPECT_FALSE(ResidencyIndex::Decode(damaged).ok()) << "byte " << i;
  }
  EXPECT_FALSE(ResidencyIndex::Decode(data.substr(0, data.size() - 1)).ok());
}

TEST_F(TieredStoreTest, SurvivesDeletionOfItsDirectoryContents) {
  auto store = Open(100'000);
  std::string body = RandomBytes(3000, 3);
  ASSERT_TRUE(store->Put("blocks/ab/cd", body).ok());
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    std::filesystem::remove_all(entry.path());
  }
  EXPECT_EQ(store->Get("blocks/ab/cd").value(), body);  // served by the cold store
  EXPECT_EQ(store->stats().cold_reads, 1u);
  store->WaitForFills();
  EXPECT_TRUE(store->IsResident("blocks/ab/cd"));  // and filled again
  EXPECT_EQ(store->Get("blocks/ab/cd").value(), body);
  EXPECT_EQ(store->stats().hot_hits, 1u);
  ASSERT_TRUE(store->Put("new", "n").ok());
  EXPECT_EQ(store->Get("new").value(), "n");
  EXPECT_TRUE(store->SaveIndex().ok());
}

TEST_F(TieredStoreTest, FullDiskDegradesToTheColdStore) {
  FullDiskEnv env;
  auto store = Open(100'000, &env);
  ASSERT_TRUE(store->Put("before", "b").ok());
  env.full = true;
  ASSERT_TRUE(store->Put("during", "d").ok());  // the cold store took it
  EXPECT_EQ(cold_.Get("during").value(), "d");
  EXPECT_FALSE(store->IsResident("during"));
  EXPECT_EQ(store->Get("during").value(), "d");
  EXPECT_EQ(store->Get("before").value(), "b");
  store->WaitForFills();
  EXPECT_GE(store->stats().hot_failures, 2u);
  env.full = false;
  EXPECT_EQ(store->Get("during").value(), "d");
  store->WaitForFills();
  EXPECT_TRUE(store->IsResident("during"));  // the hot tier recovered
}

TEST_F(TieredStoreTest, ColdErrorsAndAbsenceAreReported) {
  auto store = Open(100'000);
  EXPECT_TRUE(store->Get("missing").status().Is(Code::kNotFound));
  EXPECT_TRUE(store->Head("missing").status().Is(Code::kNotFound));
  PutOptions once;
  once.if_none_match = true;
  ASSERT_TRUE(cold_.Put("taken", "cold").ok());
  EXPECT_TRUE(store->Put("taken", "hot", once).Is(Code::kAlreadyExists));
  EXPECT_FALSE(store->IsResident("taken"));
}

TEST_F(TieredStoreTest, DeleteRemovesBothCopies) {
  auto store = Open(100'000);
  ASSERT_TRUE(store->Put("d", "x").ok());
  ASSERT_TRUE(store->Delete("d").ok());
  EXPECT_FALSE(store->IsResident("d"));
  EXPECT_TRUE(cold_.Get("d").status().Is(Code::kNotFound));
  EXPECT_TRUE(store->Get("d").status().Is(Code::kNotFound));
}

// A MemoryStore whose Get calls a hook after reading (fault injection:
// pauses a reader between its cold read and its fill).
class PausingStore final : public ObjectStore {
 public:
  std::function<void()> after_get;

  using ObjectStore::Put;
  Status Put(std::string_view k, std::string_view b, const PutOptions& o) override {
    return inner_.Put(k, b, o);
  }
  Result<std::string> Get(std::string_view k) override {
    auto got = inner_.Get(k);
    if (after_get) after_get();
    return got;
  }
  Result<std::string> GetRange(std::string_view k, ByteRange r) override {
    return inner_.GetRange(k, r);
  }
  Result<ObjectInfo> Head(std::string_view k) override { return inner_.Head(k); }
  Status Delete(std::string_view k) override { return inner_.Delete(k); }
  Result<ListResult> List(const ListOptions& o) override { return inner_.List(o); }
  std::string Describe() const override { return "pausing"; }

 private:
  MemoryStore inner_;
};

TEST_F(TieredStoreTest, FillRacingADeleteDoesNotResurrectTheObject) {
  PausingStore cold;
  TieredStoreOptions options;
  options.capacity_bytes = 100'000;
  auto store = TieredStore::Open(&cold, dir_.path(), options).value();
  ASSERT_TRUE(cold.Put("k", "doomed").ok());  // in the cold store only
  std::latch read_cold(1), deleted(1);
  std::atomic<bool> paused{false};
  cold.after_get = [&] {
    if (paused.exchange(true)) return;  // only the first read pauses
    read_cold.count_down();
    deleted.wait();
  };
  Result<std::string> got = Status::Aborted("not run");
  std::thread reader([&] { got = store->Get("k"); });
  read_cold.wait();
  EXPECT_TRUE(store->Delete("k").ok());
  deleted.count_down();
  reader.join();
  EXPECT_EQ(got.value(), "doomed");  // it read before the delete
  store->WaitForFills();             // the fill ran, and found its read stale
  EXPECT_FALSE(store->IsResident("k"));
  EXPECT_TRUE(store->Get("k").status().Is(Code::kNotFound));
  // Nor after a reopen, which indexes whatever is in the hot directory.
  store.reset();
  store = TieredStore::Open(&cold, dir_.path(), options).value();
  EXPECT_FALSE(store->IsResident("k"));
  EXPECT_TRUE(store->Get("k").status().Is(Code::kNotFound));
}

TEST_F(TieredStoreTest, TornHotBlockIsDroppedAndServedFromCold) {
  std::string body = RandomBytes(3000, 17);
  std::string key = BlockKey(Sha256::Of(body));
  std::string hot_path =
      dir_.path() + "/objects/blocks.d/" + key.substr(7, 2) + ".d/" + key.substr(10);
  {
    auto store = Open(100'000);
    ASSERT_TRUE(store->Put(key, body).ok());
    ASSERT_TRUE(store->IsResident(key));
  }
  // What a crash can leave of an unsynced hot copy: an empty file, which the
  // reopen scan indexes. The store cannot vouch for it, so it checks it.
  ASSERT_TRUE(std::filesystem::exists(hot_path));
  std::filesystem::resize_file(hot_path, 0);
  auto store = Open(100'000);
  ASSERT_TRUE(store->IsResident(key));
  EXPECT_EQ(store->Get(key).value(), body);
  EXPECT_EQ(store->stats().cold_reads, 1u);
  store->WaitForFills();
  EXPECT_EQ(std::filesystem::file_size(hot_path), body.size());  // refilled
  // A ranged read of an unchecked copy checks it whole first.
  store.reset();
  std::filesystem::resize_file(hot_path, 10);
  store = Open(100'000);
  EXPECT_EQ(store->GetRange(key, ByteRange{5, 5}).value(), body.substr(5, 5));
  EXPECT_EQ(store->stats().cold_reads, 1u);
  std::vector<char> out(5);
  store->WaitForFills();
  EXPECT_EQ(store->ReadInto(key, 5, out).value(), 5u);
  EXPECT_EQ(std::string(out.data(), 5), body.substr(5, 5));
}

TEST_F(TieredStoreTest, AHotCopyIsCheckedOnceThenReadByRangeInPlace) {
  std::string body = RandomBytes(3000, 18);
  std::string key = BlockKey(Sha256::Of(body));
  {
    auto store = Open(100'000);
    ASSERT_TRUE(store->Put(key, body).ok());
  }
  std::string hot_path =
      dir_.path() + "/objects/blocks.d/" + key.substr(7, 2) + ".d/" + key.substr(10);
  auto store = Open(100'000);
  std::vector<char> out(100);
  ASSERT_EQ(store->ReadInto(key, 1000, out).value(), 100u);  // checked whole, then served
  EXPECT_EQ(std::string(out.data(), 100), body.substr(1000, 100));
  // Checked now: a later read is a ranged read of the copy, with no check.
  // (Bytes damaged under a running store are caught by the reader's chunk
  // checksums above it, and after a restart by this check.)
  {
    std::fstream f(hot_path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2500);
    f.put(static_cast<char>(body[2500] ^ 1));
  }
  ASSERT_EQ(store->ReadInto(key, 1000, out).value(), 100u);
  EXPECT_EQ(std::string(out.data(), 100), body.substr(1000, 100));
  EXPECT_EQ(store->stats().hot_hits, 2u);
  EXPECT_EQ(store->stats().cold_reads, 0u);
  store.reset();
  store = Open(100'000);  // a restart checks it again, and drops it
  ASSERT_EQ(store->ReadInto(key, 2450, out).value(), 100u);
  EXPECT_EQ(std::string(out.data(), 100), body.substr(2450, 100));
  EXPECT_EQ(store->stats().cold_reads, 1u);
}

// A verified hot copy damaged while the store runs: the reader's chunk
// checksums catch it, the store drops the copy when told, and the reader's
// second fetch is served from the cold store, so the read succeeds.
TEST_F(TieredStoreTest, AReaderFindingAHotCopyDamagedIsServedFromCold) {
  std::string body = RandomBytes(3000, 19);
  auto store = Open(100'000);
  ThreadPool pool(2);
  BlockWriterOptions options;
  options.block_size = 4096;
  options.chunk_size = 64;
  auto layout = BlockWriter::WriteBody(store.get(), &pool, body, options).value();
  ASSERT_EQ(layout.blocks.size(), 1u);
  std::string key = BlockKey(layout.blocks[0].digest);
  ASSERT_TRUE(store->IsResident(key));
  std::string hot_path =
      dir_.path() + "/objects/blocks.d/" + key.substr(7, 2) + ".d/" + key.substr(10);
  {
    std::fstream f(hot_path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1010);
    f.put(static_cast<char>(body[1010] ^ 1));
  }
  BlockReader reader(store.get(), &pool, layout);
  std::string out;
  ASSERT_TRUE(reader.Read(1000, 100, &out).ok());
  EXPECT_EQ(out, body.substr(1000, 100));
  EXPECT_EQ(store->stats().cold_reads, 1u);
  EXPECT_GE(store->stats().hot_failures, 1u);
  store->WaitForFills();
  BlockReader again(store.get(), &pool, layout);  // the refilled copy is whole
  ASSERT_TRUE(again.Read(0, 3000, &out).ok());
  EXPECT_EQ(out, body);
}

TEST_F(TieredStoreTest, ColdBlockThatFailsItsDigestIsNotCached) {
  auto store = Open(100'000);
  std::string key = BlockKey(Sha256::Of("the real bytes"));
  ASSERT_TRUE(cold_.Put(key, "other bytes").ok());
  // The store hands back what the cold store holds (the reader above checks
  // it), but does not keep a copy it would later vouch for.
  EXPECT_EQ(store->Get(key).value(), "other bytes");
  store->WaitForFills();
  EXPECT_FALSE(store->IsResident(key));
  EXPECT_EQ(store->stats().cold_mismatches, 1u);
}

// An Env whose writes wait until `open` is set (holds a fill back).
class GatedEnv final : public EnvWrapper {
 public:
  explicit GatedEnv(Env* base) : EnvWrapper(base) {}
  std::latch open{1};

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    open.wait();
    return EnvWrapper::NewWritableFile(path);
  }
};

TEST_F(TieredStoreTest, AReadReturnsBeforeItsFillLands) {
  GatedEnv env(Env::Default());
  auto store = Open(100'000, &env);
  std::string body = RandomBytes(2000, 19);
  std::string key = BlockKey(Sha256::Of(body));
  ASSERT_TRUE(cold_.Put(key, body).ok());
  // The hot tier cannot write yet, and the read still returns.
  EXPECT_EQ(store->Get(key).value(), body);
  EXPECT_FALSE(store->IsResident(key));
  env.open.count_down();
  store->WaitForFills();
  EXPECT_TRUE(store->IsResident(key));
  EXPECT_EQ(store->Get(key).value(), body);
  EXPECT_EQ(store->stats().hot_hits, 1u);
}

TEST_F(TieredStoreTest, SyncReachesTheColdStoreAndHeadReportsItsTime) {
  auto store = Open(100'000);
  ASSERT_TRUE(store->Put("s", "x").ok());
  std::vector<std::string> keys = {"s"};
  EXPECT_TRUE(store->Sync(keys).ok());
  std::vector<std::string> missing = {"nope"};
  EXPECT_TRUE(store->Sync(missing).ok());  // the memory cold store is durable at Put
  auto head = store->Head("s");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->last_modified_ns, cold_.Head("s")->last_modified_ns);
  EXPECT_GT(head->last_modified_ns, 0);
}

TEST(MemoryStoreTest, PutTimeComesFromTheClockAndARePutRefreshesIt) {
  int64_t now = 1000;
  MemoryStore store([&] { return now; });
  ASSERT_TRUE(store.Put("a", "1").ok());
  EXPECT_EQ(store.Head("a")->last_modified_ns, 1000);
  now = 2000;
  ASSERT_TRUE(store.Put("a", "2").ok());
  EXPECT_EQ(store.Head("a")->last_modified_ns, 2000);
  EXPECT_EQ(store.List(ListOptions{}).value().objects[0].last_modified_ns, 2000);
}

}  // namespace
}  // namespace nokv::object
