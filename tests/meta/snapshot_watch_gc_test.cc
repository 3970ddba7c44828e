// Snapshots, watch events and garbage collection.
#include <gtest/gtest.h>

#include <thread>

#include "meta/codec.h"
#include "meta/merge.h"
#include "meta_fixture.h"

namespace nokv::meta {
namespace {

using SnapshotTest = testing::MetaTest;
using WatchTest = testing::MetaTest;
using RetentionTest = testing::MetaTest;

TEST_F(SnapshotTest, ReadsSeeTheSubtreeAsItWasIncludingDeletedEntries) {
  ASSERT_TRUE(Publish("/runs/1/a", "old-a").ok());
  ASSERT_TRUE(Publish("/runs/1/b", "old-b").ok());
  auto snap = meta_->CreateSnapshot("before", "/runs");
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  ASSERT_TRUE(Publish("/runs/1/a", "new-a", PublishMode::kReplace).ok());
  ASSERT_TRUE(meta_->Unlink("/runs/1/b").ok());
  ASSERT_TRUE(Publish("/runs/1/c", "new-c").ok());
  auto at = meta_->AtSnapshot("before");
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(ReadBody("/runs/1/a", &*at), "old-a");
  EXPECT_EQ(ReadBody("/runs/1/b", &*at), "old-b");
  EXPECT_EQ(meta_->Stat("/runs/1/c", &*at).status().code(), Code::kNotFound);
  EXPECT_EQ(meta_->Stat("/elsewhere", &*at).status().code(), Code::kNotFound);
  EXPECT_EQ(ReadBody("/runs/1/a"), "new-a");
  // Blocks the snapshot reads survive GC until it is retired.
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_GT(gc->blocks_waiting_for_snapshots, 0u);
  EXPECT_EQ(ReadBody("/runs/1/b", &*at), "old-b");
}

TEST_F(SnapshotTest, SnapshotsSurviveReopenAndRetireFreesTheirBlocks) {
  ASSERT_TRUE(Publish("/f", "aaaabbbb").ok());
  ASSERT_TRUE(meta_->CreateSnapshot("s1", "/").ok());
  ASSERT_TRUE(Publish("/f", "ccccdddd", PublishMode::kReplace).ok());
  Reopen();
  {
    auto at = meta_->AtSnapshot("s1");
    ASSERT_TRUE(at.ok());
    EXPECT_EQ(ReadBody("/f", &*at), "aaaabbbb");
  }
  auto list = meta_->ListSnapshots();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().root, "/");
  EXPECT_EQ(meta_->CreateSnapshot("s1", "/").status().code(), Code::kAlreadyExists);
  size_t before = BlockObjects();
  ASSERT_TRUE(meta_->RetireSnapshot("s1").ok());
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->blocks_deleted, 2u);
  EXPECT_EQ(BlockObjects(), before - 2);
  EXPECT_EQ(ReadBody("/f"), "ccccdddd");
  EXPECT_EQ(meta_->AtSnapshot("s1").status().code(), Code::kNotFound);
}

TEST_F(SnapshotTest, ExpiredSnapshotsAreRetiredByGc) {
  ASSERT_TRUE(meta_->Mkdir("/d").ok());
  ASSERT_TRUE(meta_->CreateSnapshot("short", "/d", now_ns_ + 10).ok());
  auto renewed = meta_->RenewSnapshot("short", now_ns_ + 20);
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->expires_ns, now_ns_ + 20);
  now_ns_ += 100;
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->snapshots_expired, 1u);
  EXPECT_TRUE(meta_->ListSnapshots()->empty());
}

std::vector<std::string> Describe(const EventPage& page) {
  std::vector<std::string> out;
  for (const auto& e : page.events) {
    std::string s = std::string(EventTypeName(e.type)) + " " + e.path;
    if (!e.old_path.empty()) s += " <- " + e.old_path;
    if (!e.detail.empty()) s += " [" + e.detail + "]";
    if (e.count != 1) s += " (" + std::to_string(e.count) + ")";
    out.push_back(s);
  }
  return out;
}

TEST_F(WatchTest, EveryOperationEmitsItsTypedEventsWithFullPaths) {
  std::string start = meta_->LatestCursor();
  NodeOptions p;
  p.parents = true;
  ASSERT_TRUE(meta_->Mkdir("/w/sub", p).ok());
  ASSERT_TRUE(meta_->Create("/w/sub/empty").ok());
  ASSERT_TRUE(Publish("/w/sub/data", "d").ok());
  ASSERT_TRUE(meta_->Rename("/w/sub/data", "/w/data").ok());
  SetAttrRequest chmod;
  chmod.mode = 0600;
  ASSERT_TRUE(meta_->SetAttr("/w/data", chmod).ok());
  ASSERT_TRUE(meta_->SetXattr(*meta_->Resolve("/w/data"), "user.k", "v", XattrMode::kEither).ok());
  ASSERT_TRUE(meta_->Symlink("/w/link", "/w/data").ok());
  ASSERT_TRUE(meta_->Link("/w/data", "/w/hard").ok());
  ASSERT_TRUE(meta_->Unlink("/w/sub/empty").ok());
  ASSERT_TRUE(meta_->CreateSnapshot("snap", "/w").ok());
  auto page = meta_->Watch("/", start, 100);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(Describe(*page),
            (std::vector<std::string>{
                "mkdir /w/sub (2)", "create /w/sub/empty", "publish /w/sub/data",
                "rename /w/data <- /w/sub/data", "setattr /w/data", "xattr /w/data [user.k]",
                "symlink /w/link", "link /w/hard", "remove /w/sub/empty", "snapshot /w [snap]"}));
}

TEST_F(WatchTest, SubtreeFilterCursorsAndRestart) {
  ASSERT_TRUE(Publish("/a/1", "x").ok());
  ASSERT_TRUE(Publish("/b/1", "x").ok());
  ASSERT_TRUE(meta_->Rename("/b/1", "/a/2").ok());
  auto page = meta_->Watch("/a", "", 100);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Describe(*page), (std::vector<std::string>{"publish /a/1 (2)", "rename /a/2 <- /b/1"}));
  std::string cursor = page->events[0].cursor();
  Reopen();
  auto resumed = meta_->Watch("/a", cursor, 100);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(Describe(*resumed), (std::vector<std::string>{"rename /a/2 <- /b/1"}));
  EXPECT_EQ(meta_->Watch("/", "not-a-cursor", 10).status().code(), Code::kInvalidArgument);
  for (const char* bad : {"1.2.3", "7x", "-1", "1.", ".1", "1.4294967296"}) {
    EXPECT_EQ(meta_->Watch("/", bad, 10).status().code(), Code::kInvalidArgument) << bad;
  }
}

// Whether the event lands before the watcher blocks or after, the watch
// returns it: the wait is on the engine's visible sequence, read before the
// scan.
TEST_F(WatchTest, BlockingWaitReturnsWhenAnEventArrives) {
  std::string cursor = meta_->LatestCursor();
  std::thread writer([&] { ASSERT_TRUE(meta_->Create("/late").ok()); });
  auto page = meta_->Watch("/", cursor, 10, std::chrono::milliseconds(5000));
  writer.join();
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].path, "/late");
  auto empty = meta_->Watch("/", page->next_cursor, 10, std::chrono::milliseconds(20));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->events.empty());
}

// A commit by any writer of the engine wakes a waiting watch, not only
// commands of this MetaService (the server issue adds more writers).
TEST_F(WatchTest, AnEventCommittedStraightToTheEngineWakesTheWatch) {
  std::string cursor = meta_->LatestCursor();
  std::thread writer([&] {
    Event e;
    e.type = EventType::kCreate;
    e.path = "/raw";
    e.inode = 99;
    e.file_type = FileType::kFile;
    holt::Batch batch;
    batch.Put(WatchKey(0, 0), EncodeEvent(e), holt::Stamp{kWatchKeySeqOffset, holt::kNoStamp});
    ASSERT_TRUE(meta_->engine()->Commit(batch).ok());
  });
  auto page = meta_->Watch("/", cursor, 10, std::chrono::milliseconds(10000));
  writer.join();
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].path, "/raw");
}

TEST_F(WatchTest, CursorsOlderThanRetentionExpire) {
  meta_.reset();
  MetaOptions options;
  options.engine.background_work = false;
  options.store = &store_;
  options.now_ns = [this] { return now_ns_; };
  options.watch_retention_events = 3;
  meta_ = std::move(MetaService::Open(dir_.path(), std::move(options))).value();
  std::string start = meta_->LatestCursor();
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(meta_->Create("/f" + std::to_string(i)).ok());
  auto first = meta_->Watch("/", start, 1);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(meta_->CollectGarbage().ok());
  auto expired = meta_->Watch("/", first->next_cursor, 10);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().code(), Code::kExpired);
  EXPECT_NE(expired.status().message().find("oldest retained"), std::string_view::npos);
  auto fresh = meta_->Watch("/", "", 10);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->events.size(), 3u);
}

TEST_F(RetentionTest, ReplacedBytesAreDeletedAndLiveOnesKept) {
  ASSERT_TRUE(Publish("/f", "aaaabbbb").ok());
  ASSERT_TRUE(Publish("/f", "bbbbcccc", PublishMode::kReplace).ok());
  EXPECT_EQ(BlockObjects(), 3u);
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->blocks_deleted, 1u);  // "aaaa"; "bbbb" is still referenced
  EXPECT_EQ(BlockObjects(), 2u);
  EXPECT_EQ(ReadBody("/f"), "bbbbcccc");
  auto again = meta_->CollectGarbage();
  EXPECT_EQ(again->blocks_deleted, 0u);
}

TEST_F(RetentionTest, OldDedupeRecordsArePruned) {
  NodeOptions options;
  options.request_id = "r1";
  ASSERT_TRUE(meta_->Create("/x", options).ok());
  now_ns_ += int64_t{25} * 3600 * 1'000'000'000;
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->dedupe_pruned, 1u);
}

}  // namespace
}  // namespace nokv::meta

namespace nokv::meta {
namespace {

using GcRegressionTest = testing::MetaTest;

// A block shared by two files: the snapshot sees the second reference, which
// is dropped after it; an older GC hint must not let GC delete the block.
TEST_F(GcRegressionTest, SharedBlockStaysWhileASnapshotReadsTheLaterReference) {
  ASSERT_TRUE(Publish("/a", "same").ok());
  ASSERT_TRUE(Publish("/b", "same").ok());
  ASSERT_TRUE(meta_->Unlink("/a").ok());
  ASSERT_TRUE(meta_->CreateSnapshot("s", "/").ok());
  ASSERT_TRUE(meta_->Unlink("/b").ok());
  auto gc = meta_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->blocks_deleted, 0u);
  {
    auto at = meta_->AtSnapshot("s");
    ASSERT_TRUE(at.ok());
    EXPECT_EQ(ReadBody("/b", &*at), "same");
  }
  ASSERT_TRUE(meta_->RetireSnapshot("s").ok());
  gc = meta_->CollectGarbage();
  EXPECT_EQ(gc->blocks_deleted, 1u);
}

TEST_F(GcRegressionTest, InodeNumbersAreNotReusedAfterRestart) {
  auto first = meta_->Create("/x");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(meta_->Unlink("/x").ok());
  Reopen();
  auto second = meta_->Create("/y");
  ASSERT_TRUE(second.ok());
  EXPECT_GT(second->inode, first->inode);
}

// Retention prunes whole commits (later events of a commit store their paths
// relative to earlier ones), so a cursor inside a pruned commit expires and
// what is retained still decodes.
TEST_F(GcRegressionTest, RetentionPrunesWholeCommitsAndACursorInsideOneExpires) {
  meta_.reset();
  MetaOptions options;
  options.engine.background_work = false;
  options.store = &store_;
  options.now_ns = [this] { return now_ns_; };
  options.watch_retention_events = 1;
  meta_ = std::move(MetaService::Open(dir_.path(), std::move(options))).value();
  ASSERT_TRUE(meta_->Create("/x").ok());
  ASSERT_TRUE(meta_->Create("/y").ok());
  std::string start = meta_->LatestCursor();
  ASSERT_TRUE(meta_->Rename("/x", "/y", RenameMode::kExchange).ok());  // one commit, two events
  auto first = meta_->Watch("/", start, 1);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->events.size(), 1u);
  auto report = meta_->CollectGarbage();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->events_pruned, 4u);  // the exchange's second event went with its first
  EXPECT_EQ(meta_->Watch("/", first->next_cursor, 10).status().code(), Code::kExpired);
  std::string before_z = meta_->LatestCursor();
  ASSERT_TRUE(meta_->Create("/z").ok());
  auto rest = meta_->Watch("/", before_z, 10);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(Describe(*rest), (std::vector<std::string>{"create /z"}));
}

}  // namespace
}  // namespace nokv::meta
