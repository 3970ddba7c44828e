// Garbage collection under interruption and concurrency: single-flight runs
// with owner-stamped claims, resumable claims, revival of collected bytes,
// orphan sweeps across processes and upload leases, bounded GC metadata.
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "meta/codec.h"
#include "meta_fixture.h"

namespace nokv::meta {
namespace {

// An object store that forwards to another and fails deletes on demand (the
// fault a real store shows as a 5xx or a dropped connection).
class FlakyDeletes final : public object::ObjectStore {
 public:
  explicit FlakyDeletes(object::ObjectStore* base) : base_(base) {}
  using ObjectStore::Put;
  Status Put(std::string_view key, std::string_view body,
             const object::PutOptions& options) override {
    return base_->Put(key, body, options);
  }
  Result<std::string> Get(std::string_view key) override { return base_->Get(key); }
  Result<std::string> GetRange(std::string_view key, object::ByteRange range) override {
    return base_->GetRange(key, range);
  }
  Result<object::ObjectInfo> Head(std::string_view key) override { return base_->Head(key); }
  Status Delete(std::string_view key) override {
    if (fail_deletes) return Status::IOError("injected: delete failed");
    return base_->Delete(key);
  }
  Status DeleteMany(std::span<const std::string> keys) override {
    if (fail_deletes) return Status::IOError("injected: delete failed");
    return base_->DeleteMany(keys);
  }
  Result<object::ListResult> List(const object::ListOptions& options) override {
    return base_->List(options);
  }
  std::string Describe() const override { return "flaky(" + base_->Describe() + ")"; }

  std::atomic<bool> fail_deletes{false};

 private:
  object::ObjectStore* base_;
};

int64_t WallClockNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class GcTest : public testing::MetaTest {
 protected:
  void SetUp() override {
    // Stores stamp uploads with the wall clock; the service's clock starts
    // there and tests move it forward.
    now_ns_ = WallClockNs();
    meta_store_ = &flaky_;
    Reopen();
  }

  void PassGrace() { now_ns_ += int64_t{3601} * 1'000'000'000; }

  Result<BlockRefValue> BlockState(std::string_view body) {
    auto value = meta_->engine()->Get(BlockRefKey(Sha256::Of(body)));
    if (!value.ok()) return value.status();
    return DecodeBlockRef(value->bytes);
  }

  size_t HintCount() { return meta_->engine()->CountPrefix(std::string(1, family::kGc)); }

  FlakyDeletes flaky_{&store_};
};

TEST_F(GcTest, CollectedBytesCanBePublishedAgainAsASingleFile) {
  ASSERT_TRUE(Publish("/a", "xxxx").ok());
  ASSERT_TRUE(meta_->Unlink("/a").ok());
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  ASSERT_EQ(gc->blocks_deleted, 1u);
  ASSERT_EQ(BlockObjects(), 0u);
  // The writer uploads first and publishes after: the object exists again,
  // so the publish revives the block without a second upload.
  auto again = Publish("/b", "xxxx");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ReadBody("/b"), "xxxx");
  ASSERT_TRUE(meta_->CollectGarbage().ok());
  EXPECT_EQ(ReadBody("/b"), "xxxx");
  auto state = BlockState("xxxx");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->state, BlockState::kLive);
  EXPECT_EQ(state->count, 1u);
}

TEST_F(GcTest, APublishNeverReferencesACollectedObjectItDidNotUploadAgain) {
  ASSERT_TRUE(Publish("/a", "xxxx").ok());
  ASSERT_TRUE(meta_->Unlink("/a").ok());
  ASSERT_TRUE(meta_->CollectGarbage().ok());
  // A writer whose upload happened before the collection deleted it.
  PublishRequest request;
  request.path = "/b";
  request.manifest.layout.size = 4;
  request.manifest.layout.digest = Sha256::Of("xxxx");
  request.manifest.layout.blocks = {{Sha256::Of("xxxx"), 4}};
  auto refused = meta_->Publish(request);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().Is(Reason::kBlockCollected)) << refused.status().ToString();
  EXPECT_FALSE(meta_->Stat("/b").ok());
  Upload("xxxx");  // the writer uploads again and retries
  ASSERT_TRUE(meta_->Publish(request).ok());
  EXPECT_EQ(ReadBody("/b"), "xxxx");
}

TEST_F(GcTest, AFailedDeleteLeavesAClaimTheNextRunFinishes) {
  ASSERT_TRUE(Publish("/a", "yyyy").ok());
  ASSERT_TRUE(meta_->Unlink("/a").ok());
  flaky_.fail_deletes = true;
  EXPECT_FALSE(meta_->CollectGarbage().ok());
  auto state = BlockState("yyyy");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->state, BlockState::kClaimed);
  flaky_.fail_deletes = false;
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok()) << gc.status().ToString();
  EXPECT_EQ(gc->claims_resumed, 1u);
  EXPECT_EQ(gc->blocks_deleted, 1u);
  EXPECT_EQ(BlockObjects(), 0u);
  EXPECT_EQ(BlockState("yyyy")->state, BlockState::kCollected);
}

TEST_F(GcTest, AnAbandonedClaimDoesNotWedgeAPublishOfTheSameBytes) {
  ASSERT_TRUE(Publish("/a", "zzzz").ok());
  ASSERT_TRUE(meta_->Unlink("/a").ok());
  flaky_.fail_deletes = true;
  EXPECT_FALSE(meta_->CollectGarbage().ok());
  flaky_.fail_deletes = false;
  ASSERT_EQ(BlockState("zzzz")->state, BlockState::kClaimed);
  // No collector is running: the claim is abandoned, the object is there.
  auto published = Publish("/b", "zzzz");
  ASSERT_TRUE(published.ok()) << published.status().ToString();
  EXPECT_EQ(BlockState("zzzz")->state, BlockState::kLive);
  ASSERT_TRUE(meta_->CollectGarbage().ok());
  EXPECT_EQ(ReadBody("/b"), "zzzz");
}

TEST_F(GcTest, AnOrphanClaimInterruptedByAFailedDeleteIsResumed) {
  Upload("orph");  // a writer died between upload and publish
  PassGrace();
  flaky_.fail_deletes = true;
  EXPECT_FALSE(meta_->CollectGarbage().ok());
  flaky_.fail_deletes = false;
  ASSERT_EQ(BlockState("orph")->state, BlockState::kClaimed);
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok()) << gc.status().ToString();
  EXPECT_EQ(gc->claims_resumed, 1u);
  EXPECT_EQ(BlockObjects(), 0u);
}

TEST_F(GcTest, OrphansAreSweptByALaterProcess) {
  Upload("orph");
  Reopen();                                                 // every `nokv gc` is a new process
  ASSERT_EQ(meta_->CollectGarbage()->orphans_deleted, 0u);  // inside the grace period
  Reopen();
  PassGrace();
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->orphans_deleted, 1u);
  EXPECT_EQ(BlockObjects(), 0u);
}

TEST_F(GcTest, AnUploadLongerThanTheGracePeriodKeepsItsBlocks) {
  UploadLease lease = meta_->BeginUpload();
  Manifest early = Upload("part");  // the first blocks of a long upload
  PassGrace();
  PassGrace();
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->orphans_deleted, 0u);
  PublishRequest request;
  request.path = "/long";
  request.manifest = early;
  ASSERT_TRUE(meta_->Publish(request).ok());
  lease = UploadLease();
  ASSERT_TRUE(meta_->CollectGarbage().ok());
  EXPECT_EQ(ReadBody("/long"), "part");
}

TEST_F(GcTest, StaleHintsAreDroppedInPagesNotOneCommitEach) {
  // 2,000 blocks referenced twice; dropping one reference leaves a stale
  // hint per block.
  std::string body;
  for (int i = 0; i < 2000; ++i) body += std::to_string(1000 + i);
  ASSERT_TRUE(Publish("/a", body).ok());
  ASSERT_TRUE(Publish("/b", body).ok());
  ASSERT_TRUE(meta_->Unlink("/a").ok());
  ASSERT_EQ(HintCount(), 2000u);
  uint64_t commits = meta_->engine()->GetStats().commits;
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->stale_hints_dropped, 2000u);
  EXPECT_EQ(HintCount(), 0u);
  EXPECT_LE(meta_->engine()->GetStats().commits - commits, 6u);
  EXPECT_EQ(ReadBody("/b"), body);
}

TEST_F(GcTest, CollectedMarkersArePrunedOnceNoUploadCanRaceThem) {
  ASSERT_TRUE(Publish("/a", "mmmm").ok());
  ASSERT_TRUE(meta_->Unlink("/a").ok());
  ASSERT_EQ(meta_->CollectGarbage()->blocks_deleted, 1u);
  ASSERT_EQ(BlockState("mmmm")->state, BlockState::kCollected);
  UploadLease racing = meta_->BeginUpload();  // began before the marker ages out
  PassGrace();
  ASSERT_EQ(meta_->CollectGarbage()->collected_markers_pruned, 0u);
  racing = UploadLease();
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->collected_markers_pruned, 1u);
  EXPECT_TRUE(BlockState("mmmm").status().Is(Code::kNotFound));
  EXPECT_EQ(HintCount(), 0u);
  // The bytes can be published again from scratch.
  ASSERT_TRUE(Publish("/b", "mmmm").ok());
  EXPECT_EQ(ReadBody("/b"), "mmmm");
}

TEST_F(GcTest, ASnapshotHoldsOnlyTheBlocksOfItsSubtree) {
  ASSERT_TRUE(Publish("/ws/a", "inside!!").ok());
  ASSERT_TRUE(Publish("/other/b", "outside!").ok());
  ASSERT_TRUE(meta_->CreateSnapshot("s", "/ws").ok());
  ASSERT_TRUE(meta_->Unlink("/ws/a").ok());
  ASSERT_TRUE(meta_->Unlink("/other/b").ok());
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok()) << gc.status().ToString();
  EXPECT_EQ(gc->blocks_deleted, 2u);  // "outs", "ide!"
  EXPECT_EQ(gc->blocks_waiting_for_snapshots, 2u);
  {
    auto at = meta_->AtSnapshot("s");
    ASSERT_TRUE(at.ok());
    EXPECT_EQ(ReadBody("/ws/a", &*at), "inside!!");
  }
  ASSERT_TRUE(meta_->RetireSnapshot("s").ok());
  EXPECT_EQ(meta_->CollectGarbage()->blocks_deleted, 2u);
  EXPECT_EQ(BlockObjects(), 0u);
}

TEST_F(GcTest, ASnapshotKeepsABlockItsSubtreeSharedWithAFileOutside) {
  ASSERT_TRUE(Publish("/ws/a", "same").ok());
  ASSERT_TRUE(Publish("/other/b", "same").ok());
  ASSERT_TRUE(meta_->CreateSnapshot("s", "/ws").ok());
  ASSERT_TRUE(meta_->Unlink("/ws/a").ok());     // count 2 -> 1: a stale hint, but it names /ws/a
  ASSERT_TRUE(meta_->Unlink("/other/b").ok());  // count 1 -> 0
  ASSERT_EQ(meta_->CollectGarbage()->blocks_deleted, 0u);
  auto at = meta_->AtSnapshot("s");
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(ReadBody("/ws/a", &*at), "same");
}

TEST_F(GcTest, AFileMovedOutOfTheSnapshotSubtreeLaterIsStillHeld) {
  ASSERT_TRUE(Publish("/ws/a", "mmmm").ok());
  ASSERT_TRUE(meta_->Mkdir("/other").ok());
  ASSERT_TRUE(meta_->CreateSnapshot("s", "/ws").ok());
  ASSERT_TRUE(meta_->Rename("/ws/a", "/other/a").ok());
  ASSERT_TRUE(meta_->Unlink("/other/a").ok());
  ASSERT_EQ(meta_->CollectGarbage()->blocks_deleted, 0u);
  auto at = meta_->AtSnapshot("s");
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(ReadBody("/ws/a", &*at), "mmmm");
}

TEST_F(GcTest, ABackupHoldsEveryBlockOfTheNamespaceUntilItIsDropped) {
  ASSERT_TRUE(Publish("/ws/a", "inside!!").ok());
  ASSERT_TRUE(Publish("/other/b", "outside!").ok());
  auto backup = meta_->BeginBackup("b1", "");
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  ASSERT_TRUE(Publish("/late", "afterwrd").ok());
  ASSERT_TRUE(meta_->Unlink("/ws/a").ok());
  ASSERT_TRUE(meta_->Unlink("/other/b").ok());
  ASSERT_TRUE(meta_->Unlink("/late").ok());
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok()) << gc.status().ToString();
  // Written and dropped after the backup: nothing at the backup reads it.
  EXPECT_EQ(gc->blocks_deleted, 2u);  // "afte", "rwrd"
  EXPECT_EQ(gc->blocks_waiting_for_snapshots, 4u);
  EXPECT_EQ(BlockObjects(), 4u);
  ASSERT_TRUE(meta_->DropBackup("b1").ok());
  EXPECT_EQ(meta_->CollectGarbage()->blocks_deleted, 4u);
  EXPECT_EQ(BlockObjects(), 0u);
}

TEST_F(GcTest, BackupRecordsListDropAndRefuseADuplicateId) {
  auto first = meta_->BeginBackup("b1", "s3://bucket/p/");
  ASSERT_TRUE(first.ok());
  EXPECT_GT(first->seq, 0u);
  EXPECT_EQ(meta_->BeginBackup("b1", "").status().code(), Code::kAlreadyExists);
  EXPECT_EQ(meta_->BeginBackup("bad id", "").status().code(), Code::kInvalidArgument);
  auto list = meta_->ListBackups();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, "b1");
  EXPECT_EQ((*list)[0].seq, first->seq);
  EXPECT_EQ((*list)[0].location, "s3://bucket/p/");
  EXPECT_EQ(meta_->engine()->DurablePins().count("backup/b1"), 1u);
  ASSERT_TRUE(meta_->DropBackup("b1").ok());
  EXPECT_TRUE(meta_->ListBackups()->empty());
  EXPECT_EQ(meta_->engine()->DurablePins().count("backup/b1"), 0u);
  EXPECT_EQ(meta_->DropBackup("b1").code(), Code::kNotFound);
}

TEST_F(GcTest, AnOpenReaderHoldsEveryBlockItCouldRead) {
  ASSERT_TRUE(Publish("/a", "rrrr").ok());
  ReadContext reader = meta_->Latest();
  ASSERT_TRUE(meta_->Unlink("/a").ok());
  ASSERT_EQ(meta_->CollectGarbage()->blocks_deleted, 0u);
  EXPECT_EQ(ReadBody("/a", &reader), "rrrr");
}

// Two collectors and several writers that publish, replace and remove files
// sharing their blocks. At the end every file reads back byte for byte.
TEST_F(GcTest, ConcurrentCollectorsAndWritersNeverLoseALiveBlock) {
  constexpr int kWriters = 3;
  constexpr int kRounds = 1001;  // ends on a publish
  const std::vector<std::string> bodies = {"aaaabbbb", "bbbbcccc", "ccccaaaa", "dddd"};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> gc_runs{0};
  std::vector<std::thread> collectors;
  for (int c = 0; c < 2; ++c) {
    collectors.emplace_back([&] {
      while (!stop.load()) {
        auto gc = meta_->CollectGarbage();
        ASSERT_TRUE(gc.ok()) << gc.status().ToString();
        gc_runs++;
      }
    });
  }
  std::vector<std::thread> writers;
  std::vector<std::string> finals(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::string path = "/w" + std::to_string(w);
      for (int r = 0; r < kRounds; ++r) {
        const std::string& body = bodies[(r + w) % bodies.size()];
        if (r % 5 == 4) {
          ASSERT_TRUE(meta_->Unlink(path).ok());
          continue;
        }
        PublishRequest request;
        request.path = path;
        request.mode = PublishMode::kReplace;
        for (int attempt = 0;; ++attempt) {
          request.manifest = Upload(body);
          auto published = meta_->Publish(request);
          if (published.ok()) break;
          // Only a collection that deleted our upload may refuse us.
          ASSERT_TRUE(published.status().Is(Reason::kBlockCollected))
              << published.status().ToString();
          ASSERT_LT(attempt, 100);
        }
        finals[w] = body;
      }
    });
  }
  for (auto& t : writers) t.join();
  stop = true;
  for (auto& t : collectors) t.join();
  EXPECT_GT(gc_runs.load(), 0u);
  ASSERT_TRUE(meta_->CollectGarbage().ok());
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(ReadBody("/w" + std::to_string(w)), finals[w]) << w;
  }
}

// A dry run counts what a run would do, changes nothing, and the run that
// follows does exactly that.
TEST_F(GcTest, ADryRunSaysWhatARunWouldDoAndChangesNothing) {
  ASSERT_TRUE(Publish("/ws/a", "inside!!").ok());
  ASSERT_TRUE(Publish("/other/b", "outside!").ok());
  ASSERT_TRUE(meta_->CreateSnapshot("s", "/ws").ok());
  ASSERT_TRUE(meta_->Unlink("/ws/a").ok());
  ASSERT_TRUE(meta_->Unlink("/other/b").ok());
  Upload("orph");  // an orphaned upload, 4 bytes
  uint64_t seq = meta_->visible_seq();
  size_t objects = BlockObjects();
  size_t hints = HintCount();

  auto young = meta_->PlanGarbage();
  ASSERT_TRUE(young.ok()) << young.status().ToString();
  EXPECT_EQ(young->orphans, 0u);
  EXPECT_EQ(young->young_orphans, 1u);
  EXPECT_EQ(young->young_orphan_bytes, 4u);
  EXPECT_EQ(young->orphan_grace_ns, int64_t{3600} * 1'000'000'000);

  PassGrace();
  auto plan = meta_->PlanGarbage();
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->blocks, 2u);  // "outs", "ide!"
  EXPECT_EQ(plan->block_bytes, 8u);
  EXPECT_EQ(plan->orphans, 1u);
  EXPECT_EQ(plan->orphan_bytes, 4u);
  EXPECT_EQ(plan->young_orphans, 0u);
  ASSERT_EQ(plan->pins.size(), 2u);
  EXPECT_EQ(plan->pins[0].kind, "readers");
  EXPECT_EQ(plan->pins[0].blocks, 0u);
  EXPECT_EQ(plan->pins[1].kind, "snapshot");
  EXPECT_EQ(plan->pins[1].name, "s");
  EXPECT_EQ(plan->pins[1].blocks, 2u);  // "insi", "de!!"
  EXPECT_EQ(plan->pins[1].bytes, 8u);
  EXPECT_EQ(meta_->visible_seq(), seq) << "a dry run commits nothing";
  EXPECT_EQ(BlockObjects(), objects) << "a dry run deletes nothing";
  EXPECT_EQ(HintCount(), hints);

  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok()) << gc.status().ToString();
  EXPECT_EQ(gc->blocks_deleted, plan->blocks);
  EXPECT_EQ(gc->orphans_deleted, plan->orphans);
  EXPECT_EQ(gc->blocks_waiting_for_snapshots, plan->pins[1].blocks);
  EXPECT_EQ(BlockObjects(), objects - 3);
}

TEST_F(GcTest, ADryRunCountsTheBlocksEveryPinKeepsAndWhatExpiryWouldFree) {
  ASSERT_TRUE(Publish("/ws/a", "wwww").ok());
  ASSERT_TRUE(Publish("/runs/b", "rrrrRRRR").ok());
  ASSERT_TRUE(meta_->CreateSnapshot("ws", "/ws").ok());
  ASSERT_TRUE(meta_->CreateSnapshot("all", "/").ok());
  ASSERT_TRUE(meta_->CreateSnapshot("expired", "/runs", now_ns_ + 1'000'000'000).ok());
  ASSERT_TRUE(meta_->BeginBackup("b1", "").ok());
  ASSERT_TRUE(Publish("/late", "llll").ok());
  ASSERT_TRUE(meta_->Unlink("/ws/a").ok());
  ASSERT_TRUE(meta_->Unlink("/runs/b").ok());
  ReadContext reader = meta_->Latest();  // reads /late, which only it still needs
  ASSERT_TRUE(meta_->Unlink("/late").ok());
  now_ns_ += 2'000'000'000;  // "expired" is past its expiry

  auto plan = meta_->PlanGarbage();
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->snapshots_expiring, std::vector<std::string>{"expired"});
  std::map<std::string, std::pair<uint64_t, uint64_t>> kept;  // pin -> blocks, bytes
  for (const auto& pin : plan->pins) kept[pin.kind + ":" + pin.name] = {pin.blocks, pin.bytes};
  using Kept = std::pair<uint64_t, uint64_t>;
  EXPECT_EQ(kept.size(), 4u) << "the expiring snapshot is not a pin";
  EXPECT_EQ(kept["readers:"], Kept(1, 4)) << "only the reader still sees /late";
  EXPECT_EQ(kept["snapshot:ws"], Kept(1, 4));
  EXPECT_EQ(kept["snapshot:all"], Kept(3, 12));
  EXPECT_EQ(kept["backup:b1"], Kept(3, 12));
  EXPECT_EQ(plan->blocks, 0u) << "every dropped block is still needed by some pin";
  EXPECT_EQ(meta_->ListSnapshots()->size(), 3u) << "a dry run retires nothing";
}

}  // namespace
}  // namespace nokv::meta
