// Crash tests at the metadata layer: the process dies after every possible
// number of file-system mutations while checkpoints publish as multi-file
// commits; after a power-loss-shaped recovery every acknowledged checkpoint
// is whole and no checkpoint is ever partly visible. A writer that dies
// between uploading and committing leaves the old generation readable and
// only unreferenced blocks, which the orphan sweep removes.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "common/fault_env.h"
#include "meta_fixture.h"
#include "object/local_store.h"

namespace nokv::meta {
namespace {

class MetaCrashTest : public testing::MetaTest {
 protected:
  Result<std::unique_ptr<MetaService>> OpenWith(Env* env) {
    MetaOptions options;
    options.engine.env = env;
    options.engine.background_work = false;
    options.engine.wal_segment_bytes = 2048;  // rotations inside the run
    options.store = &store_;
    options.now_ns = [this] { return now_ns_; };
    return MetaService::Open(dir_.path() + "/crash", std::move(options));
  }

  // Publishes checkpoint k: three shards in one commit.
  Status PublishCheckpoint(MetaService* meta, int k) {
    std::vector<PublishRequest> shards(3);
    for (int i = 0; i < 3; ++i) {
      shards[i].path = "/ckpt/" + std::to_string(k) + "/shard-" + std::to_string(i);
      shards[i].manifest = Upload("k" + std::to_string(k) + "s" + std::to_string(i));
      shards[i].node.parents = true;
    }
    return meta->PublishMany(shards).status();
  }
};

TEST_F(MetaCrashTest, PublishManyIsNeverPartlyVisibleAtAnyKillPoint) {
  constexpr int kCheckpoints = 6;
  int64_t total_ops = 0;
  {
    FaultInjectionEnv env(Env::Default());
    auto meta = OpenWith(&env);
    ASSERT_TRUE(meta.ok());
    int64_t before = env.mutating_ops();
    for (int k = 0; k < kCheckpoints; ++k) ASSERT_TRUE(PublishCheckpoint(meta->get(), k).ok());
    ASSERT_TRUE((*meta)->engine()->Checkpoint().ok());
    total_ops = env.mutating_ops() - before;
  }
  ASSERT_GT(total_ops, 40);  // WAL appends, syncs, rotations, the checkpoint
  for (int64_t budget = 0; budget <= total_ops; ++budget) {
    SCOPED_TRACE("kill after " + std::to_string(budget) + " mutations");
    std::filesystem::remove_all(dir_.path() + "/crash");
    FaultInjectionEnv env(Env::Default());
    int acked = 0;
    {
      auto meta = OpenWith(&env);
      ASSERT_TRUE(meta.ok());
      env.CrashAfter(budget);
      for (int k = 0; k < kCheckpoints && PublishCheckpoint(meta->get(), k).ok(); ++k)
        acked = k + 1;
      if (acked == kCheckpoints) (void)(*meta)->engine()->Checkpoint();
    }
    ASSERT_TRUE(env.SimulateCrash(static_cast<uint32_t>(budget)).ok());
    auto meta = OpenWith(&env);
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    for (int k = 0; k < kCheckpoints; ++k) {
      int present = 0;
      for (int i = 0; i < 3; ++i) {
        present += (*meta)->Stat("/ckpt/" + std::to_string(k) + "/shard-" + std::to_string(i)).ok();
      }
      ASSERT_TRUE(present == 0 || present == 3) << "checkpoint " << k << ": " << present << "/3";
      if (k < acked) {
        ASSERT_EQ(present, 3) << "acknowledged checkpoint " << k << " lost";
      }
    }
  }
}

// The object store lives in the same fault-injection Env as the engine: a
// power loss drops whatever neither of them synced. Every publish that was
// acknowledged must read back, block by block, by digest.
TEST_F(MetaCrashTest, AcknowledgedBodiesReadBackAfterPowerLossAtAnyKillPoint) {
  constexpr int kFiles = 4;
  auto body_of = [](int k) { return "body-" + std::to_string(k) + std::string(40 + k, 'x'); };
  auto run = [&](FaultInjectionEnv* env, int64_t budget, int* acked) -> Status {
    object::LocalStoreOptions store_options;
    store_options.env = env;
    NOKV_ASSIGN_OR_RETURN(auto store,
                          object::LocalStore::Open(dir_.path() + "/crash-objects", store_options));
    MetaOptions options;
    options.engine.env = env;
    options.engine.background_work = false;
    options.store = store.get();
    options.now_ns = [this] { return now_ns_; };
    NOKV_ASSIGN_OR_RETURN(auto meta, MetaService::Open(dir_.path() + "/crash", std::move(options)));
    env->CrashAfter(budget);
    for (int k = 0; k < kFiles; ++k) {
      object::BlockWriterOptions blocks;
      blocks.block_size = 16;
      auto layout = object::BlockWriter::WriteBody(store.get(), &pool_, body_of(k), blocks);
      if (!layout.ok()) break;
      PublishRequest request;
      request.path = "/f" + std::to_string(k);
      request.manifest.layout = *layout;
      if (!meta->Publish(request).ok()) break;
      *acked = k + 1;
    }
    return Status::Ok();
  };
  int64_t total_ops = 0;
  {
    FaultInjectionEnv env(Env::Default());
    int acked = 0;
    ASSERT_TRUE(run(&env, -1, &acked).ok());
    ASSERT_EQ(acked, kFiles);
    total_ops = env.mutating_ops();
  }
  for (int64_t budget = 0; budget <= total_ops; ++budget) {
    SCOPED_TRACE("kill after " + std::to_string(budget) + " mutations");
    std::filesystem::remove_all(dir_.path() + "/crash");
    std::filesystem::remove_all(dir_.path() + "/crash-objects");
    FaultInjectionEnv env(Env::Default());
    int acked = 0;
    ASSERT_TRUE(run(&env, budget, &acked).ok());
    ASSERT_TRUE(env.SimulateCrash(static_cast<uint32_t>(budget)).ok());
    auto store = object::LocalStore::Open(dir_.path() + "/crash-objects");
    ASSERT_TRUE(store.ok());
    MetaOptions options;
    options.engine.background_work = false;
    auto meta = MetaService::Open(dir_.path() + "/crash", std::move(options));
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    for (int k = 0; k < acked; ++k) {
      auto attr = (*meta)->Stat("/f" + std::to_string(k));
      ASSERT_TRUE(attr.ok()) << "acknowledged /f" << k << " lost";
      auto manifest = (*meta)->GetManifest(attr->inode, attr->generation);
      ASSERT_TRUE(manifest.ok());
      std::string body;
      for (const auto& block : manifest->layout.blocks) {
        auto bytes = (*store)->Get(object::BlockKey(block.digest));
        ASSERT_TRUE(bytes.ok()) << "block of acknowledged /f" << k << ": "
                                << bytes.status().ToString();
        ASSERT_EQ(Sha256::Of(*bytes), block.digest) << "damaged block of /f" << k;
        body += *bytes;
      }
      ASSERT_EQ(body, body_of(k));
    }
  }
}

TEST_F(MetaCrashTest, DeathBetweenUploadAndCommitLeavesTheOldGenerationAndSweepableBlocks) {
  // Uploads are stamped with the wall clock; run the service's clock from it.
  now_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  Reopen();
  ASSERT_TRUE(Publish("/model.bin", "old!old!").ok());
  size_t live_blocks = BlockObjects();
  Upload("new-bytes-never-committed");  // the writer died here
  Reopen();                             // restart after the crash
  EXPECT_EQ(ReadBody("/model.bin"), "old!old!");
  EXPECT_GT(BlockObjects(), live_blocks);
  auto early = meta_->CollectGarbage();
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->orphans_deleted, 0u);  // inside the grace period
  now_ns_ += int64_t{2} * 3600 * 1'000'000'000;
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_GT(gc->orphans_deleted, 0u);
  EXPECT_EQ(BlockObjects(), live_blocks);
  EXPECT_EQ(ReadBody("/model.bin"), "old!old!");
}

}  // namespace
}  // namespace nokv::meta
