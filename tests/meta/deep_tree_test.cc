// Deep and wide trees: what a command writes stays linear in the entries and
// name bytes it touches (issue #10 item 3), and one depth limit, kMaxDepth,
// holds wherever trees are built while walks handle every tree that exists
// (item 4).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "meta/codec.h"
#include "meta/path.h"
#include "meta_fixture.h"

namespace nokv::meta {
namespace {

using DeepTreeTest = testing::MetaTest;

// "/" + `depth` components, each `name`.
std::string ChainPath(size_t depth, std::string_view name) {
  std::string path;
  for (size_t i = 0; i < depth; ++i) path.append("/").append(name);
  return path.empty() ? "/" : path;
}

NodeOptions Parents() {
  NodeOptions options;
  options.parents = true;
  return options;
}

class DeepTreeWalTest : public DeepTreeTest {
 protected:
  uint64_t WalBytes() { return meta_->engine()->GetStats().wal_bytes; }
};

// Per entry a command writes a dentry, an inode and, amortized, a bounded
// number of bytes; a full path per entry (what events did) costs depth x path.
constexpr uint64_t kBytesPerEntryAndNameByte = 64;

TEST_F(DeepTreeWalTest, MkdirParentsAndRemoveTreeOfA4000DeepPathWriteLinearBytes) {
  constexpr size_t kDepth = 4000;
  const std::string name = "level-01";  // 8 bytes: the full path is 36,000 bytes
  const std::string deepest = ChainPath(kDepth, name);
  const uint64_t bound = kBytesPerEntryAndNameByte * kDepth * (name.size() + 1);

  std::string before_mkdir = meta_->LatestCursor();
  const uint64_t dirs_before = meta_->Totals().directories;  // the root
  uint64_t wal0 = WalBytes();
  ASSERT_TRUE(meta_->Mkdir(deepest, Parents()).ok());
  uint64_t wal1 = WalBytes();
  EXPECT_LT(wal1 - wal0, bound) << "mkdir -p wrote " << (wal1 - wal0) << " WAL bytes";

  // One event stands for the whole chain, and a watcher deep inside it sees it.
  auto made = meta_->Watch(ChainPath(2000, name), before_mkdir, 10);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  ASSERT_EQ(made->events.size(), 1u);
  EXPECT_EQ(made->events[0].type, EventType::kMkdir);
  EXPECT_EQ(made->events[0].path, deepest);
  EXPECT_EQ(made->events[0].count, kDepth);

  std::string before_remove = meta_->LatestCursor();
  auto removed = meta_->RemoveTree(ChainPath(1, name));
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, kDepth);
  uint64_t wal2 = WalBytes();
  EXPECT_LT(wal2 - wal1, bound) << "rm -r wrote " << (wal2 - wal1) << " WAL bytes";
  EXPECT_EQ(meta_->Stat(ChainPath(1, name)).status().code(), Code::kNotFound);
  EXPECT_EQ(meta_->Totals().directories, dirs_before);

  // Every removed entry is accounted for by some event, and a watcher at any
  // depth learns of the removal (of its own path or of an ancestor).
  auto all = meta_->Watch("/", before_remove, 100);
  ASSERT_TRUE(all.ok());
  uint64_t counted = 0;
  for (const auto& e : all->events) {
    EXPECT_EQ(e.type, EventType::kRemove);
    counted += e.count;
  }
  EXPECT_EQ(counted, kDepth);
  EXPECT_LE(all->events.size(), kDepth / MetaService::kRemoveTreeBatch + 1);
  for (size_t depth : {size_t{1}, size_t{1500}, kDepth}) {
    auto seen = meta_->Watch(ChainPath(depth, name), before_remove, 100);
    ASSERT_TRUE(seen.ok());
    EXPECT_FALSE(seen->events.empty()) << "a watcher at depth " << depth << " missed the removal";
  }
}

TEST_F(DeepTreeWalTest, RemoveTreeOfAWideDirectoryDeepDownWritesLinearBytes) {
  constexpr size_t kDepth = 300;
  constexpr size_t kFiles = 1500;
  const std::string name = "level-01";
  const std::string dir = ChainPath(kDepth, name);  // 2,700 bytes
  ASSERT_TRUE(meta_->Mkdir(dir, Parents()).ok());
  for (size_t i = 0; i < kFiles; ++i) {
    char file[16];
    std::snprintf(file, sizeof(file), "f-%05zu", i);  // 7 bytes
    ASSERT_TRUE(meta_->Create(ChildPath(dir, file)).ok());
  }
  std::string before_remove = meta_->LatestCursor();
  uint64_t wal0 = WalBytes();
  auto removed = meta_->RemoveTree(ChainPath(1, name));
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, kDepth + kFiles);
  uint64_t written = WalBytes() - wal0;
  // Without shared prefixes each file's event alone would carry the 2,700-byte
  // directory path: over 4 MB.
  EXPECT_LT(written, kBytesPerEntryAndNameByte * (kDepth + kFiles) * (name.size() + 1))
      << "rm -r wrote " << written << " WAL bytes";

  // A watcher on one file learns of its removal, with its full path decoded
  // from the shared prefix, also when reading from the middle of a commit.
  const std::string one = ChildPath(dir, "f-00700");
  auto seen = meta_->Watch(one, before_remove, 10);
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  ASSERT_FALSE(seen->events.empty());
  EXPECT_EQ(seen->events[0].path, one);
  EXPECT_EQ(seen->events[0].type, EventType::kRemove);
  auto after = meta_->Watch("/", seen->events[0].cursor(), 1);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ASSERT_EQ(after->events.size(), 1u);
  EXPECT_EQ(after->events[0].path, ChildPath(dir, "f-00701"));
  EXPECT_EQ(meta_->Totals().files, 0u);
}

TEST_F(DeepTreeTest, EventsRoundTripWithSharedPrefixesAndOldVersionStillDecodes) {
  Event first;
  first.type = EventType::kRemove;
  first.path = "/a/b/c/one";
  first.count = 3;
  Event second = first;
  second.path = "/a/b/c/two";
  auto a = DecodeEvent(7, 0, EncodeEvent(first));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->path, first.path);
  EXPECT_EQ(a->count, 3u);
  std::string encoded = EncodeEvent(second, first.path);
  EXPECT_LT(encoded.size(), EncodeEvent(second).size());
  auto b = DecodeEvent(7, 1, encoded, first.path);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->path, second.path);
  // Claiming more shared bytes than the previous path has is corruption.
  EXPECT_EQ(DecodeEvent(7, 1, encoded, "/a").status().code(), Code::kCorruption);
  // Version 1: 01 | type | file_type | inode | path | old_path | detail | time.
  std::string v1 = {1, 4, 2, 9, 2, '/', 'x', 0, 0, 5};
  auto old = DecodeEvent(3, 0, v1);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->path, "/x");
  EXPECT_EQ(old->count, 1u);
  EXPECT_EQ(old->time_ns, 5);
}

TEST_F(DeepTreeTest, RemovingADirectoryReachesWatchersBelowItAndRenamesToo) {
  ASSERT_TRUE(meta_->Mkdir("/p/q/r", Parents()).ok());
  std::string start = meta_->LatestCursor();
  ASSERT_TRUE(meta_->Rename("/p/q", "/p/moved").ok());
  auto moved = meta_->Watch("/p/q/r", start, 10);
  ASSERT_TRUE(moved.ok());
  ASSERT_EQ(moved->events.size(), 1u);
  EXPECT_EQ(moved->events[0].type, EventType::kRename);
  start = meta_->LatestCursor();
  ASSERT_TRUE(meta_->RemoveTree("/p").ok());
  auto removed = meta_->Watch("/p/moved/r", start, 10);
  ASSERT_TRUE(removed.ok());
  ASSERT_EQ(removed->events.size(), 1u);
  EXPECT_EQ(removed->events[0].path, "/p");
  EXPECT_EQ(removed->events[0].count, 3u);
  // A file removed at /p/x says nothing about a watcher at /p/x/y... there is
  // none; but a sibling watcher is not told.
  ASSERT_TRUE(Publish("/s/keep", "k").ok());
  ASSERT_TRUE(Publish("/s/gone", "g").ok());
  start = meta_->LatestCursor();
  ASSERT_TRUE(meta_->Unlink("/s/gone").ok());
  auto sibling = meta_->Watch("/s/keep", start, 10);
  ASSERT_TRUE(sibling.ok());
  EXPECT_TRUE(sibling->events.empty());
  EXPECT_EQ(meta_->RemoveTree("/").status().code(), Code::kPermissionDenied);
}

// --- Item 4: one depth limit --------------------------------------------------

TEST_F(DeepTreeTest, MkdirAndCreateAcceptTheLimitAndRefuseOneMore) {
  const std::string at_limit = ChainPath(kMaxDepth, "d");
  ASSERT_TRUE(meta_->Mkdir(at_limit, Parents()).ok());
  auto deeper = meta_->Mkdir(at_limit + "/d");
  ASSERT_EQ(deeper.status().code(), Code::kInvalidArgument);
  EXPECT_NE(deeper.status().message().find(std::to_string(kMaxDepth)), std::string::npos)
      << deeper.status().ToString();
  EXPECT_LT(deeper.status().message().size(), 256u) << "the message echoes the whole path";
  EXPECT_EQ(meta_->Create(at_limit + "/f").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(meta_->Symlink(at_limit + "/l", "/x").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Publish(at_limit + "/p", "body").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(meta_->Mkdir(ChainPath(kMaxDepth + 5, "e"), Parents()).status().code(),
            Code::kInvalidArgument);
  auto leaf = meta_->Resolve(at_limit);
  ASSERT_TRUE(leaf.ok());
  EXPECT_EQ(meta_->MkdirAt(*leaf, "d").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(meta_->CreateAt(*leaf, "f").status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(meta_->Create("/file").ok());
  EXPECT_EQ(meta_->Link("/file", at_limit + "/hard").status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(meta_->Link("/file", ChainPath(kMaxDepth - 1, "d") + "/hard").ok());

  // Walks handle the deepest tree there can be: PathOf and removal.
  auto path = meta_->PathOf(*leaf);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, at_limit);
  auto removed = meta_->RemoveTree("/d");
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, kMaxDepth + 1);  // the chain and the hard link
}

TEST_F(DeepTreeTest, RenameRefusesToPutAnythingPastTheLimit) {
  constexpr size_t kHeight = 5;  // entries below /t/top: /t/top/h/h/h/h/h
  ASSERT_TRUE(meta_->Mkdir("/t/top" + ChainPath(kHeight, "h"), Parents()).ok());
  // A home where /t/top's deepest entry lands exactly at the limit, and one a level lower.
  const std::string fits = ChainPath(kMaxDepth - kHeight - 1, "d");
  ASSERT_TRUE(meta_->Mkdir(fits + "/d", Parents()).ok());
  auto refused = meta_->Rename("/t/top", fits + "/d/top");
  ASSERT_EQ(refused.code(), Code::kInvalidArgument) << refused.ToString();
  EXPECT_NE(refused.message().find(std::to_string(kMaxDepth)), std::string::npos);
  EXPECT_TRUE(meta_->Stat("/t/top").ok()) << "a refused rename changed nothing";
  ASSERT_TRUE(meta_->Rename("/t/top", fits + "/top").ok());
  auto deepest = meta_->Stat(fits + "/top" + ChainPath(kHeight, "h"));
  ASSERT_TRUE(deepest.ok());
  EXPECT_EQ(PathDepth(fits + "/top" + ChainPath(kHeight, "h")), kMaxDepth);
  // Moving it up again walks nothing and succeeds; a file may go to the limit.
  ASSERT_TRUE(meta_->Rename(fits + "/top", "/top").ok());
  ASSERT_TRUE(meta_->Mkdir(ChainPath(kMaxDepth, "d"), Parents()).ok());
  ASSERT_TRUE(meta_->Create("/leaf").ok());
  EXPECT_EQ(meta_->Rename("/leaf", ChainPath(kMaxDepth, "d") + "/leaf").code(),
            Code::kInvalidArgument);
  ASSERT_TRUE(meta_->Rename("/leaf", ChainPath(kMaxDepth - 1, "d") + "/leaf").ok());
  // Exchange checks both directions.
  EXPECT_EQ(meta_->Rename("/top", ChainPath(kMaxDepth, "d"), RenameMode::kExchange).code(),
            Code::kInvalidArgument);
}

TEST_F(DeepTreeTest, ATrueCycleIsCorruptionNotDepth) {
  ASSERT_TRUE(meta_->Mkdir("/c1/c2", Parents()).ok());
  auto c1 = meta_->Stat("/c1");
  auto c2 = meta_->Stat("/c1/c2");
  ASSERT_TRUE(c1.ok() && c2.ok());
  Attr looped = *c1;
  looped.parent = c2->inode;  // c1's parent is its own child
  holt::Batch batch;
  batch.Put(InodeKey(c1->inode), EncodeAttr(looped));
  ASSERT_TRUE(meta_->engine()->Commit(batch).ok());
  auto path = meta_->PathOf(c2->inode);
  EXPECT_EQ(path.status().code(), Code::kCorruption) << path.status().ToString();
}

}  // namespace
}  // namespace nokv::meta
