// Durability of blocks before a publish: a LocalStore in a FaultInjectionEnv
// (which also loses directories whose parent was never synced), blocks put
// through BlockWriter, then a simulated power loss. Finished (synced) bodies
// must read back and verify; a deferred sync that never happens must lose
// them, which shows the crash model can tell the two apart.
#include <gtest/gtest.h>

#include "common/fault_env.h"
#include "common/thread_pool.h"
#include "object/block_reader.h"
#include "object/block_writer.h"
#include "object/local_store.h"
#include "store_conformance.h"
#include "test_dir.h"

namespace nokv::object {
namespace {

using testing::RandomBytes;

class BlockDurabilityTest : public ::testing::Test {
 protected:
  BlockDurabilityTest() : env_(Env::Default()) { env_.TrackDirectories(); }

  std::unique_ptr<LocalStore> OpenStore() {
    LocalStoreOptions options;
    options.env = &env_;
    return LocalStore::Open(dir_.path(), options).value();
  }

  BlockWriterOptions Options(bool defer) const {
    BlockWriterOptions options;
    options.block_size = 1000;
    options.max_in_flight = 4;
    options.defer_sync = defer;
    return options;
  }

  // The layout of `body` written through a streaming BlockWriter.
  Result<BodyLayout> Write(ObjectStore* store, const std::string& body, bool defer,
                           std::vector<std::string>* keys = nullptr) {
    BlockWriter writer(store, &pool_, Options(defer));
    for (size_t pos = 0; pos < body.size(); pos += 777) {
      NOKV_RETURN_IF_ERROR(writer.Append(std::string_view(body).substr(pos, 777)));
    }
    auto layout = writer.Finish();
    if (keys != nullptr) *keys = writer.keys();
    return layout;
  }

  // Reads the whole body back after a crash and a reopen; every block is
  // verified by the reader.
  Result<std::string> ReadAfterCrash(const BodyLayout& layout) {
    NOKV_RETURN_IF_ERROR(env_.SimulateCrash());
    auto store = OpenStore();
    BlockReader reader(store.get(), &pool_, layout);
    std::string out;
    NOKV_RETURN_IF_ERROR(reader.Read(0, layout.size, &out));
    return out;
  }

  nokv::testing::TempDir dir_;
  FaultInjectionEnv env_;
  ThreadPool pool_{4};
};

TEST_F(BlockDurabilityTest, FinishedBodySurvivesAPowerLoss) {
  std::string body = RandomBytes(7500, 51);
  BodyLayout layout;
  {
    auto store = OpenStore();
    layout = Write(store.get(), body, false).value();
  }
  auto got = ReadAfterCrash(layout);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, body);
}

TEST_F(BlockDurabilityTest, DeferredSyncNeverDoneIsLostInAPowerLoss) {
  std::string body = RandomBytes(7500, 52);
  BodyLayout layout;
  {
    auto store = OpenStore();
    layout = Write(store.get(), body, true).value();
    EXPECT_EQ(store->Get(BlockKey(layout.blocks[0].digest)).value(), body.substr(0, 1000));
  }
  ASSERT_TRUE(env_.SimulateCrash().ok());
  auto store = OpenStore();
  for (const std::string& key : BlockKeys(layout)) {
    auto got = store->Get(key);
    EXPECT_TRUE(got.status().Is(Code::kNotFound)) << key << ": " << got.status().ToString();
  }
}

TEST_F(BlockDurabilityTest, OneSyncOfManyDeferredBodiesMakesThemAllDurable) {
  std::vector<std::string> bodies = {RandomBytes(2500, 53), RandomBytes(999, 54),
                                     RandomBytes(4000, 55)};
  std::vector<BodyLayout> layouts;
  std::vector<std::string> all_keys;
  {
    auto store = OpenStore();
    for (const std::string& body : bodies) {
      std::vector<std::string> keys;
      layouts.push_back(Write(store.get(), body, true, &keys).value());
      EXPECT_EQ(keys, BlockKeys(layouts.back()));
      all_keys.insert(all_keys.end(), keys.begin(), keys.end());
    }
    ASSERT_TRUE(store->Sync(all_keys).ok());
  }
  ASSERT_TRUE(env_.SimulateCrash().ok());
  auto store = OpenStore();
  for (size_t i = 0; i < bodies.size(); ++i) {
    BlockReader reader(store.get(), &pool_, layouts[i]);
    std::string out;
    ASSERT_TRUE(reader.Read(0, layouts[i].size, &out).ok()) << i;
    EXPECT_EQ(out, bodies[i]);
  }
}

TEST_F(BlockDurabilityTest, BlockFoundAlreadyStoredIsStillSynced) {
  // Someone else stored the block without syncing it; this writer's upload
  // finds it (AlreadyExists) and must still make it durable.
  std::string body = RandomBytes(1000, 56);
  auto store = OpenStore();
  ASSERT_TRUE(store->Put(BlockKey(Sha256::Of(body)), body).ok());
  BlockWriterOptions options = Options(false);
  options.if_none_match = true;
  auto layout = BlockWriter::WriteBody(store.get(), &pool_, body, options);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  store.reset();
  auto got = ReadAfterCrash(*layout);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, body);
}

TEST_F(BlockDurabilityTest, SyncOfAMissingObjectIsNotFound) {
  auto store = OpenStore();
  std::vector<std::string> keys = {"never/put"};
  Status s = store->Sync(keys);
  EXPECT_TRUE(s.Is(Code::kNotFound)) << s.ToString();
}

TEST_F(BlockDurabilityTest, FsyncOptionMakesEachPutDurable) {
  LocalStoreOptions options;
  options.env = &env_;
  options.fsync = true;
  {
    auto store = LocalStore::Open(dir_.path(), options).value();
    ASSERT_TRUE(store->Put("deep/er/key", "body").ok());
  }
  ASSERT_TRUE(env_.SimulateCrash().ok());
  auto store = OpenStore();
  EXPECT_EQ(store->Get("deep/er/key").value(), "body");
}

}  // namespace
}  // namespace nokv::object
