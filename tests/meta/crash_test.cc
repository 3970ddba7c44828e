// Crash tests at the metadata layer: the process dies after every possible
// number of file-system mutations while checkpoints publish as multi-file
// commits; after a power-loss-shaped recovery every acknowledged checkpoint
// is whole and no checkpoint is ever partly visible. A writer that dies
// between uploading and committing leaves the old generation readable and
// only unreferenced blocks, which the orphan sweep removes.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/fault_env.h"
#include "meta_fixture.h"

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

TEST_F(MetaCrashTest, DeathBetweenUploadAndCommitLeavesTheOldGenerationAndSweepableBlocks) {
  ASSERT_TRUE(Publish("/model.bin", "old!old!").ok());
  size_t live_blocks = BlockObjects();
  Upload("new-bytes-never-committed");  // the writer died here
  Reopen();                             // restart after the crash
  EXPECT_EQ(ReadBody("/model.bin"), "old!old!");
  EXPECT_GT(BlockObjects(), live_blocks);
  now_ns_ += int64_t{2} * 3600 * 1'000'000'000;
  ASSERT_TRUE(meta_->CollectGarbage().ok());  // first sighting of the orphans
  now_ns_ += int64_t{2} * 3600 * 1'000'000'000;
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_GT(gc->orphans_deleted, 0u);
  EXPECT_EQ(BlockObjects(), live_blocks);
  EXPECT_EQ(ReadBody("/model.bin"), "old!old!");
}

}  // namespace
}  // namespace nokv::meta
