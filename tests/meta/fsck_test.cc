// fsck on a clean store finds nothing; on a store damaged in one way (the
// damage written straight into Holt keys or object files) it finds exactly
// that damage, and a repair leaves a store a second check finds clean, with
// every acknowledged file reading back its bytes.
#include "meta/fsck.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "meta/codec.h"
#include "meta/index_keys.h"
#include "meta/merge.h"
#include "meta_fixture.h"
#include "records/rule.h"

namespace nokv::meta {
namespace {

class FsckTest : public testing::MetaTest {
 protected:
  void SetUp() override {
    MetaTest::SetUp();
    ASSERT_TRUE(Publish("/a/one.txt", "first file body").ok());
    ASSERT_TRUE(Publish("/a/b/two.txt", "second, longer file body").ok());
    ASSERT_TRUE(Publish("/runs/1/metadata.json", R"({"status": "done", "epochs": 3})").ok());
    ASSERT_TRUE(meta_->Symlink("/a/link", "one.txt").ok());
    ASSERT_TRUE(meta_->Link("/a/one.txt", "/a/b/hard.txt").ok());
    ASSERT_TRUE(meta_->Create("/empty").ok());
    auto rule = records::RuleFromJson(nlohmann::json::parse(
        R"({"id": "runs", "root": "/runs", "glob": "*/metadata.json", "target": "parent",
            "fields": ["run.status=$.status", "run.epochs:number=$.epochs"]})"));
    ASSERT_TRUE(rule.ok());
    ASSERT_TRUE(meta_->AddIndexRule(*rule).ok());
    ASSERT_TRUE(meta_->CreateSnapshot("before", "/").ok());
    bodies_ = {{"/a/one.txt", "first file body"},
               {"/a/b/two.txt", "second, longer file body"},
               {"/a/b/hard.txt", "first file body"},
               {"/runs/1/metadata.json", R"({"status": "done", "epochs": 3})"}};
  }

  FsckReport Check(FsckOptions options = {}) {
    auto report = meta_->Fsck(options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.value_or(FsckReport{});
  }

  static std::vector<FsckKind> Kinds(const FsckReport& report) {
    std::vector<FsckKind> kinds;
    for (const auto& f : report.findings) kinds.push_back(f.kind);
    std::sort(kinds.begin(), kinds.end());
    return kinds;
  }

  static std::string Describe(const FsckReport& report) {
    std::string out;
    for (const auto& f : report.findings) {
      out += std::string(FsckKindName(f.kind)) + " " + f.subject + ": " + f.detail + " [" +
             f.repair + "]\n";
    }
    return out;
  }

  void Commit(holt::Batch& batch) { ASSERT_TRUE(meta_->engine()->Commit(batch).ok()); }

  // A repair fixes everything, a new check finds nothing and every file reads back.
  void RepairLeavesCleanStore() {
    FsckOptions repair;
    repair.repair = true;
    FsckReport repaired = Check(repair);
    EXPECT_EQ(repaired.remaining, 0u) << Describe(repaired);
    for (const auto& f : repaired.findings) EXPECT_TRUE(f.repaired) << Describe(repaired);
    FsckOptions verify;
    verify.verify = true;
    FsckReport after = Check(verify);
    EXPECT_TRUE(after.findings.empty()) << Describe(after);
    for (const auto& [path, body] : bodies_) EXPECT_EQ(ReadBody(path), body) << path;
  }

  Digest FirstBlock(std::string_view path) {
    auto attr = meta_->Stat(path);
    EXPECT_TRUE(attr.ok());
    auto manifest = meta_->GetManifest(attr->inode, attr->generation);
    EXPECT_TRUE(manifest.ok());
    return manifest->layout.blocks.at(0).digest;
  }

  std::map<std::string, std::string> bodies_;
};

TEST_F(FsckTest, CleanStoreFindsNothing) {
  FsckOptions verify;
  verify.verify = true;
  FsckReport report = Check(verify);
  EXPECT_TRUE(report.findings.empty()) << Describe(report);
  EXPECT_GT(report.inodes, 8u);
  EXPECT_GT(report.blocks_verified, 5u);
  EXPECT_GT(report.index_rows, 0u);
}

TEST_F(FsckTest, DanglingDentryIsDropped) {
  holt::Batch batch;
  batch.Put(DentryKey(kRootInode, "ghost"), EncodeDentry(9999, FileType::kFile));
  Commit(batch);
  FsckReport report = Check();
  ASSERT_EQ(Kinds(report), std::vector<FsckKind>{FsckKind::kDanglingDentry}) << Describe(report);
  EXPECT_EQ(report.findings[0].subject, "/ghost");
  RepairLeavesCleanStore();
  EXPECT_FALSE(meta_->Stat("/ghost").ok());
}

TEST_F(FsckTest, OrphanInodeIsReattachedUnderLostAndFound) {
  auto attr = meta_->Stat("/a/b/two.txt");
  auto dir = meta_->Stat("/a/b");
  ASSERT_TRUE(attr.ok() && dir.ok());
  holt::Batch batch;
  batch.Delete(DentryKey(dir->inode, "two.txt"));
  Commit(batch);
  bodies_.erase("/a/b/two.txt");
  FsckReport report = Check();
  EXPECT_EQ(Kinds(report),
            (std::vector<FsckKind>{FsckKind::kOrphanInode, FsckKind::kChildCountMismatch}))
      << Describe(report);
  RepairLeavesCleanStore();
  std::string found = "/lost+found/#" + std::to_string(attr->inode);
  EXPECT_EQ(ReadBody(found), "second, longer file body");
  EXPECT_EQ(List("/a/b"), std::vector<std::string>{"hard.txt"});
}

TEST_F(FsckTest, CountDriftIsSetToCounted) {
  auto file = meta_->Stat("/a/one.txt");
  ASSERT_TRUE(file.ok());
  Attr wrong = *file;
  wrong.nlink = 7;
  holt::Batch batch;
  batch.Put(InodeKey(wrong.inode), EncodeAttr(wrong));
  batch.Merge(InodeKey(kRootInode), DirUpdateOperand(3, 0, 0));
  batch.Merge(kTotalsKey, TotalsOperand(2, 0, 0, 100));
  Commit(batch);
  FsckReport report = Check();
  EXPECT_EQ(Kinds(report),
            (std::vector<FsckKind>{FsckKind::kNlinkMismatch, FsckKind::kChildCountMismatch,
                                   FsckKind::kTotalsMismatch}))
      << Describe(report);
  RepairLeavesCleanStore();
  EXPECT_EQ(meta_->Stat("/a/one.txt")->nlink, 2u);
  EXPECT_EQ(meta_->Totals().files, 4u);
}

TEST_F(FsckTest, RefcountDriftIsSetToCounted) {
  Digest digest = FirstBlock("/a/b/two.txt");
  holt::Batch batch;
  batch.Put(BlockRefKey(digest), EncodeBlockRef({5, BlockState::kLive}));
  Commit(batch);
  FsckReport report = Check();
  ASSERT_EQ(Kinds(report), std::vector<FsckKind>{FsckKind::kRefcountDrift}) << Describe(report);
  EXPECT_EQ(report.findings[0].subject, DigestHex(digest));
  RepairLeavesCleanStore();
  auto value = meta_->engine()->Get(BlockRefKey(digest));
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(DecodeBlockRef(value->bytes)->count, 1u);
}

TEST_F(FsckTest, MissingBlockNamesTheFilesThatNeedIt) {
  Digest digest = FirstBlock("/a/one.txt");
  ASSERT_TRUE(store_.Delete(object::BlockKey(digest)).ok());
  FsckReport report = Check();
  ASSERT_EQ(Kinds(report), std::vector<FsckKind>{FsckKind::kMissingBlock}) << Describe(report);
  std::vector<std::string> files = report.findings[0].files;
  std::sort(files.begin(), files.end());
  // Two links, one inode: the file is named once, by one of its paths.
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(files[0] == "/a/one.txt" || files[0] == "/a/b/hard.txt") << files[0];
  FsckOptions repair;
  repair.repair = true;
  FsckReport repaired = Check(repair);
  EXPECT_EQ(repaired.remaining, 1u);
  EXPECT_FALSE(repaired.findings[0].repaired);
  EXPECT_NE(repaired.findings[0].repair.find("cannot be repaired"), std::string::npos);
}

TEST_F(FsckTest, FlippedBlockByteIsFoundOnlyByVerify) {
  Digest digest = FirstBlock("/a/b/two.txt");
  std::string key = object::BlockKey(digest);
  auto bytes = store_.Get(key);
  ASSERT_TRUE(bytes.ok());
  (*bytes)[1] ^= 0x20;
  ASSERT_TRUE(store_.Put(key, *bytes).ok());
  EXPECT_TRUE(Check().findings.empty());
  FsckOptions verify;
  verify.verify = true;
  FsckReport report = Check(verify);
  ASSERT_EQ(Kinds(report), std::vector<FsckKind>{FsckKind::kDamagedBlock}) << Describe(report);
  EXPECT_EQ(report.findings[0].subject, DigestHex(digest));
  EXPECT_EQ(report.findings[0].files, std::vector<std::string>{"/a/b/two.txt"});
}

TEST_F(FsckTest, StaleIndexRowIsRebuilt) {
  auto stored = meta_->GetRow("runs", "/runs/1");
  ASSERT_TRUE(stored.ok());
  holt::Batch batch;
  batch.Put(RowKey("runs", "/runs/gone"), EncodeStoredRow(*stored));
  Commit(batch);
  FsckReport report = Check();
  ASSERT_EQ(Kinds(report), std::vector<FsckKind>{FsckKind::kStaleIndexRow}) << Describe(report);
  RepairLeavesCleanStore();
  EXPECT_FALSE(meta_->GetRow("runs", "/runs/gone").ok());
  EXPECT_TRUE(meta_->GetRow("runs", "/runs/1").ok());
}

TEST_F(FsckTest, MissingIndexRowIsRebuilt) {
  holt::Batch batch;
  batch.Delete(RowKey("runs", "/runs/1"));
  Commit(batch);
  FsckReport report = Check();
  ASSERT_EQ(Kinds(report), std::vector<FsckKind>{FsckKind::kMissingIndexRow}) << Describe(report);
  RepairLeavesCleanStore();
  EXPECT_TRUE(meta_->GetRow("runs", "/runs/1").ok());
}

TEST_F(FsckTest, MalformedSnapshotRecordIsReported) {
  holt::Batch batch;
  batch.Put(SnapshotKey("broken"), "\x07garbage");
  Commit(batch);
  FsckReport report = Check();
  ASSERT_EQ(Kinds(report), std::vector<FsckKind>{FsckKind::kMalformedRecord}) << Describe(report);
  EXPECT_EQ(report.findings[0].subject, "snapshot broken");
}

TEST_F(FsckTest, LeakedBlockPastGraceIsCollected) {
  Manifest unreferenced = Upload("nobody publishes this");
  // The block's object is fresh: within the grace period it is an upload in flight.
  EXPECT_TRUE(Check().findings.empty());
  now_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count() +
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::hours(2)).count();
  FsckReport report = Check();
  EXPECT_EQ(Kinds(report),
            std::vector<FsckKind>(unreferenced.layout.blocks.size(), FsckKind::kLeakedBlock))
      << Describe(report);
  RepairLeavesCleanStore();
  for (const auto& block : unreferenced.layout.blocks) {
    EXPECT_FALSE(store_.Head(object::BlockKey(block.digest)).ok());
  }
}

TEST_F(FsckTest, BlocksASnapshotStillReadsAreNotLeaked) {
  ASSERT_TRUE(meta_->Unlink("/a/b/two.txt").ok());
  now_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count() +
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::hours(2)).count();
  bodies_.erase("/a/b/two.txt");
  FsckReport report = Check();
  EXPECT_TRUE(report.findings.empty()) << Describe(report);
}

// The check reads one pinned view: writers committing while it runs (and
// while it repairs) cause no finding, and lose nothing.
TEST_F(FsckTest, WritersDuringACheckCauseNoFindings) {
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  std::mutex mu;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      for (int n = 0; !done.load() || n < 5; ++n) {
        std::string path = "/w" + std::to_string(w) + "/f" + std::to_string(n);
        std::string body = "writer " + std::to_string(w) + " file " + std::to_string(n);
        auto attr = Publish(path, body);
        ASSERT_TRUE(attr.ok()) << attr.status().ToString();
        if (n % 3 == 0) {
          ASSERT_TRUE(meta_->Unlink(path).ok());
        }
        std::lock_guard lock(mu);
        if (n % 3 != 0) bodies_[path] = body;
      }
    });
  }
  for (bool repair : {false, true, false}) {
    FsckOptions options;
    options.repair = repair;
    options.verify = true;
    FsckReport report = Check(options);
    EXPECT_TRUE(report.findings.empty()) << Describe(report);
  }
  done = true;
  for (auto& t : writers) t.join();
  FsckReport after = Check();
  EXPECT_TRUE(after.findings.empty()) << Describe(after);
  for (const auto& [path, body] : bodies_) EXPECT_EQ(ReadBody(path), body) << path;
}

TEST_F(FsckTest, StaleManifestIsDeleted) {
  auto attr = meta_->Stat("/a/one.txt");
  ASSERT_TRUE(attr.ok());
  auto manifest = meta_->GetManifest(attr->inode, attr->generation);
  ASSERT_TRUE(manifest.ok());
  holt::Batch batch;
  batch.Put(ManifestKey(attr->inode, attr->generation - 1), EncodeManifest(*manifest));
  Commit(batch);
  FsckReport report = Check();
  ASSERT_EQ(Kinds(report), std::vector<FsckKind>{FsckKind::kStaleManifest}) << Describe(report);
  RepairLeavesCleanStore();
}

TEST_F(FsckTest, DirectoryBacklinkIsSetToItsEntry) {
  auto dir = meta_->Stat("/a/b");
  ASSERT_TRUE(dir.ok());
  Attr wrong = *dir;
  wrong.name = "elsewhere";
  holt::Batch batch;
  batch.Put(InodeKey(wrong.inode), EncodeAttr(wrong));
  Commit(batch);
  FsckReport report = Check();
  ASSERT_EQ(Kinds(report), std::vector<FsckKind>{FsckKind::kBacklinkMismatch}) << Describe(report);
  RepairLeavesCleanStore();
  EXPECT_EQ(meta_->Stat("/a/b")->name, "b");
}

TEST_F(FsckTest, KindNamesRoundTrip) {
  for (size_t i = 0; i < kFsckKindCount; ++i) {
    auto kind = static_cast<FsckKind>(i);
    EXPECT_EQ(FsckKindFromName(FsckKindName(kind)), kind);
  }
  EXPECT_FALSE(FsckKindFromName("no_such_kind").has_value());
}

}  // namespace
}  // namespace nokv::meta
