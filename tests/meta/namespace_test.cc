// Namespace operations: the POSIX-like outcomes callers rely on.
#include <gtest/gtest.h>

#include <thread>

#include "meta/path.h"
#include "meta_fixture.h"

namespace nokv::meta {
namespace {

using NamespaceTest = testing::MetaTest;
using Strings = std::vector<std::string>;

TEST_F(NamespaceTest, RootExistsAndIsADirectory) {
  auto root = meta_->Stat("/");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->inode, kRootInode);
  EXPECT_EQ(root->type, FileType::kDirectory);
  EXPECT_EQ(meta_->Totals().directories, 1u);
}

TEST_F(NamespaceTest, MkdirCreateAndListInNameOrder) {
  ASSERT_TRUE(meta_->Mkdir("/runs").ok());
  ASSERT_TRUE(meta_->Create("/runs/b").ok());
  ASSERT_TRUE(meta_->Create("/runs/a").ok());
  ASSERT_TRUE(meta_->Mkdir("/runs/c").ok());
  EXPECT_EQ(List("/runs"), (Strings{"a", "b", "c"}));
  auto runs = meta_->Stat("/runs");
  EXPECT_EQ(runs->child_count, 3u);
  EXPECT_EQ(runs->nlink, 3u);  // ".", its entry, and c's ".."
  EXPECT_EQ(runs->mtime_ns, now_ns_);
  auto a = meta_->Stat("/runs/a");
  EXPECT_EQ(a->type, FileType::kFile);
  EXPECT_EQ(a->mode, 0644u);
  EXPECT_EQ(*meta_->PathOf(a->inode), "/runs/a");
  EXPECT_EQ(meta_->Totals().files, 2u);
}

TEST_F(NamespaceTest, ErrorsAreTheOnesPosixGives) {
  ASSERT_TRUE(meta_->Mkdir("/d").ok());
  ASSERT_TRUE(meta_->Create("/d/f").ok());
  EXPECT_EQ(meta_->Mkdir("/d").status().code(), Code::kAlreadyExists);
  EXPECT_EQ(meta_->Create("/missing/f").status().code(), Code::kNotFound);
  EXPECT_EQ(meta_->Create("/d/f/g").status().code(), Code::kNotADirectory);
  EXPECT_EQ(meta_->Rmdir("/d").code(), Code::kNotEmpty);
  EXPECT_EQ(meta_->Unlink("/d").code(), Code::kIsADirectory);
  EXPECT_EQ(meta_->Rmdir("/d/f").code(), Code::kNotADirectory);
  EXPECT_EQ(meta_->Unlink("/d/nope").code(), Code::kNotFound);
  EXPECT_EQ(meta_->Rmdir("/").code(), Code::kPermissionDenied);
  EXPECT_EQ(meta_->Stat("relative").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(meta_->Stat("/a/../b").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(meta_->Create("/" + std::string(256, 'x')).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(meta_->Create(std::string("/a\0b", 4)).status().code(), Code::kInvalidArgument);
}

TEST_F(NamespaceTest, PathsAreNormalized) {
  ASSERT_TRUE(meta_->Mkdir("//x/./").ok());
  EXPECT_TRUE(meta_->Stat("/x").ok());
  EXPECT_EQ(*NormalizePath("/a//b/./c/"), "/a/b/c");
}

TEST_F(NamespaceTest, MkdirParentsCreatesTheChainInOneCommitAndIsIdempotent) {
  uint64_t before = meta_->visible_seq();
  NodeOptions parents;
  parents.parents = true;
  ASSERT_TRUE(meta_->Mkdir("/a/b/c", parents).ok());
  EXPECT_EQ(meta_->visible_seq(), before + 1);
  EXPECT_TRUE(meta_->Mkdir("/a/b/c", parents).ok());
  EXPECT_EQ(meta_->Mkdir("/a/b/c").status().code(), Code::kAlreadyExists);
}

TEST_F(NamespaceTest, RmdirAndUnlinkUpdateCountsAndTotals) {
  ASSERT_TRUE(meta_->Mkdir("/d").ok());
  ASSERT_TRUE(meta_->Mkdir("/d/sub").ok());
  ASSERT_TRUE(meta_->Create("/d/f").ok());
  ASSERT_TRUE(meta_->Rmdir("/d/sub").ok());
  ASSERT_TRUE(meta_->Unlink("/d/f").ok());
  auto d = meta_->Stat("/d");
  EXPECT_EQ(d->child_count, 0u);
  EXPECT_EQ(d->nlink, 2u);
  EXPECT_TRUE(meta_->Rmdir("/d").ok());
  EXPECT_EQ(meta_->Totals().files, 0u);
  EXPECT_EQ(meta_->Totals().directories, 1u);
}

TEST_F(NamespaceTest, ReadDirPagesWithACursor) {
  ASSERT_TRUE(meta_->Mkdir("/big").ok());
  for (int i = 0; i < 25; ++i) {
    char name[8];
    std::snprintf(name, sizeof(name), "f%02d", i);
    ASSERT_TRUE(meta_->Create(std::string("/big/") + name).ok());
  }
  InodeId big = *meta_->Resolve("/big");
  std::vector<std::string> seen;
  std::string after;
  for (;;) {
    auto page = meta_->ReadDir(big, after, 10, /*with_attrs=*/true);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->attrs.size(), page->entries.size());
    for (auto& e : page->entries) seen.push_back(e.name);
    if (!page->more) break;
    after = page->entries.back().name;
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(meta_->ReadDir(*meta_->Resolve("/big/f00"), "", 10, false).status().code(),
            Code::kNotADirectory);
}

TEST_F(NamespaceTest, SymlinkStoresItsTarget) {
  auto link = meta_->Symlink("/l", "/some/where");
  ASSERT_TRUE(link.ok());
  auto attr = meta_->Stat("/l");
  EXPECT_EQ(attr->type, FileType::kSymlink);
  EXPECT_EQ(attr->symlink_target, "/some/where");
  EXPECT_EQ(attr->size, 11u);
  EXPECT_EQ(meta_->Symlink("/m", "").status().code(), Code::kInvalidArgument);
}

TEST_F(NamespaceTest, AConditionalUnlinkRemovesOnlyTheGenerationItNames) {
  auto first = Publish("/f", "one");
  ASSERT_TRUE(first.ok());
  auto second = Publish("/f", "two", PublishMode::kReplace);
  ASSERT_TRUE(second.ok());
  Status stale = meta_->Unlink("/f", first->generation);
  EXPECT_EQ(stale.code(), Code::kFailedPrecondition);
  EXPECT_NE(stale.message().find("is at generation " + std::to_string(second->generation)),
            std::string::npos)
      << stale.ToString();
  EXPECT_EQ(ReadBody("/f"), "two") << "the newer version is kept";
  ASSERT_TRUE(meta_->Unlink("/f", second->generation).ok());
  EXPECT_EQ(meta_->Stat("/f").status().code(), Code::kNotFound);
  EXPECT_EQ(meta_->Unlink("/f", second->generation).code(), Code::kNotFound);
}

TEST_F(NamespaceTest, HardLinksShareTheInodeUntilTheLastGoes) {
  ASSERT_TRUE(Publish("/a", "payload").ok());
  auto linked = meta_->Link("/a", "/b");
  ASSERT_TRUE(linked.ok()) << linked.status().ToString();
  EXPECT_EQ(linked->nlink, 2u);
  EXPECT_EQ(meta_->Stat("/b")->inode, meta_->Stat("/a")->inode);
  ASSERT_TRUE(meta_->Unlink("/a").ok());
  EXPECT_EQ(ReadBody("/b"), "payload");
  EXPECT_EQ(meta_->Stat("/b")->nlink, 1u);
  ASSERT_TRUE(meta_->Mkdir("/dir").ok());
  EXPECT_EQ(meta_->Link("/dir", "/dir2").status().code(), Code::kPermissionDenied);
}

TEST_F(NamespaceTest, InodeAddressedVariantsMatchPathOnes) {
  auto dir = meta_->MkdirAt(kRootInode, "d");
  ASSERT_TRUE(dir.ok());
  auto file = meta_->CreateAt(dir->inode, "f");
  ASSERT_TRUE(file.ok());
  auto found = meta_->Lookup(dir->inode, "f");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->inode, file->inode);
  EXPECT_EQ(meta_->CreateAt(dir->inode, "f").status().code(), Code::kAlreadyExists);
  EXPECT_EQ(meta_->CreateAt(file->inode, "x").status().code(), Code::kNotADirectory);
  ASSERT_TRUE(meta_->RenameAt(dir->inode, "f", kRootInode, "g").ok());
  EXPECT_TRUE(meta_->Stat("/g").ok());
  ASSERT_TRUE(meta_->UnlinkAt(kRootInode, "g").ok());
  ASSERT_TRUE(meta_->RmdirAt(kRootInode, "d").ok());
  EXPECT_EQ(List("/"), Strings{});
}

TEST_F(NamespaceTest, SetAttrChangesModeOwnerTimesAndTruncatesToZero) {
  ASSERT_TRUE(Publish("/f", "0123456789").ok());
  uint64_t before = meta_->Stat("/f")->generation;
  SetAttrRequest chmod;
  chmod.mode = 0600;
  chmod.uid = 42;
  chmod.mtime_ns = 5;
  auto changed = meta_->SetAttr("/f", chmod);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->mode, 0600u);
  EXPECT_EQ(changed->uid, 42u);
  EXPECT_EQ(changed->mtime_ns, 5);
  EXPECT_EQ(changed->generation, before);  // no content change
  SetAttrRequest trunc;
  trunc.size = 0;
  auto truncated = meta_->SetAttr("/f", trunc);
  ASSERT_TRUE(truncated.ok());
  EXPECT_EQ(truncated->size, 0u);
  EXPECT_GT(truncated->generation, before);
  SetAttrRequest grow;
  grow.size = 100;
  EXPECT_EQ(meta_->SetAttr("/f", grow).status().code(), Code::kNotSupported);
}

TEST_F(NamespaceTest, XattrsHonourModesAndLimits) {
  ASSERT_TRUE(meta_->Create("/f").ok());
  InodeId f = *meta_->Resolve("/f");
  EXPECT_EQ(meta_->SetXattr(f, "user.a", "1", XattrMode::kReplace).code(), Code::kNotFound);
  ASSERT_TRUE(meta_->SetXattr(f, "user.a", "1", XattrMode::kCreate).ok());
  EXPECT_EQ(meta_->SetXattr(f, "user.a", "2", XattrMode::kCreate).code(), Code::kAlreadyExists);
  ASSERT_TRUE(meta_->SetXattr(f, "user.a", "2", XattrMode::kReplace).ok());
  EXPECT_EQ(*meta_->GetXattr(f, "user.a"), "2");
  ASSERT_TRUE(meta_->SetXattr(f, "user.b", "", XattrMode::kEither).ok());
  EXPECT_EQ(*meta_->ListXattrs(f), (Strings{"user.a", "user.b"}));
  EXPECT_EQ(meta_->SetXattr(f, "user.c", std::string(70000, 'x'), XattrMode::kEither).code(),
            Code::kTooLarge);
  ASSERT_TRUE(meta_->RemoveXattr(f, "user.a").ok());
  EXPECT_EQ(meta_->RemoveXattr(f, "user.a").code(), Code::kNotFound);
}

TEST_F(NamespaceTest, RequestIdsMakeRetriesIdempotent) {
  NodeOptions options;
  options.request_id = "req-1";
  auto first = meta_->Create("/once", options);
  ASSERT_TRUE(first.ok());
  auto again = meta_->Create("/once", options);  // a client retry after a lost reply
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->inode, first->inode);
  NodeOptions other;
  other.request_id = "req-2";
  EXPECT_EQ(meta_->Create("/once", other).status().code(), Code::kAlreadyExists);
}

TEST_F(NamespaceTest, ConcurrentCreatesInOneDirectoryAllSucceed) {
  ASSERT_TRUE(meta_->Mkdir("/hot").ok());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (!meta_->Create("/hot/t" + std::to_string(t) + "_" + std::to_string(i)).ok()) {
          failures++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(meta_->Stat("/hot")->child_count, 200u);
  EXPECT_EQ(List("/hot").size(), 200u);
}

TEST_F(NamespaceTest, StateSurvivesReopen) {
  ASSERT_TRUE(meta_->Mkdir("/keep").ok());
  ASSERT_TRUE(Publish("/keep/f", "bytes").ok());
  InodeId before = meta_->Stat("/keep/f")->inode;
  Reopen();
  EXPECT_EQ(ReadBody("/keep/f"), "bytes");
  auto fresh = meta_->Create("/keep/g");
  ASSERT_TRUE(fresh.ok());
  EXPECT_GT(fresh->inode, before);  // inode numbers are never reused
}

}  // namespace
}  // namespace nokv::meta
