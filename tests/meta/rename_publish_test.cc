// Rename modes and the publish protocol (create, replace, compare-and-swap,
// publish-many).
#include <gtest/gtest.h>

#include "meta_fixture.h"

namespace nokv::meta {
namespace {

using RenameTest = testing::MetaTest;
using PublishTest = testing::MetaTest;
using Strings = std::vector<std::string>;

TEST_F(RenameTest, MovesFilesAndDirectoriesAndKeepsCounts) {
  NodeOptions p;
  p.parents = true;
  ASSERT_TRUE(meta_->Mkdir("/a/sub", p).ok());
  ASSERT_TRUE(meta_->Mkdir("/b").ok());
  ASSERT_TRUE(Publish("/a/sub/f", "x").ok());
  ASSERT_TRUE(meta_->Rename("/a/sub", "/b/moved").ok());
  EXPECT_EQ(ReadBody("/b/moved/f"), "x");
  EXPECT_EQ(meta_->Stat("/a/sub").status().code(), Code::kNotFound);
  EXPECT_EQ(meta_->Stat("/a")->nlink, 2u);
  EXPECT_EQ(meta_->Stat("/b")->nlink, 3u);
  EXPECT_EQ(meta_->Stat("/b")->child_count, 1u);
  auto moved = meta_->Stat("/b/moved");
  EXPECT_EQ(*meta_->PathOf(moved->inode), "/b/moved");
  EXPECT_EQ(*meta_->PathOf(meta_->Stat("/b/moved/f")->inode), "/b/moved/f");
}

TEST_F(RenameTest, ADirectoryCannotMoveIntoItsOwnSubtree) {
  NodeOptions p;
  p.parents = true;
  ASSERT_TRUE(meta_->Mkdir("/a/b/c", p).ok());
  EXPECT_EQ(meta_->Rename("/a", "/a/b/c/a").code(), Code::kInvalidArgument);
  EXPECT_EQ(meta_->Rename("/a", "/a/x").code(), Code::kInvalidArgument);
  EXPECT_TRUE(meta_->Stat("/a/b/c").ok());
}

TEST_F(RenameTest, ReplaceRulesFollowPosix) {
  ASSERT_TRUE(Publish("/f1", "one").ok());
  ASSERT_TRUE(Publish("/f2", "two").ok());
  ASSERT_TRUE(meta_->Mkdir("/d1").ok());
  ASSERT_TRUE(meta_->Mkdir("/d2").ok());
  ASSERT_TRUE(meta_->Create("/d2/x").ok());
  EXPECT_EQ(meta_->Rename("/f1", "/f2", RenameMode::kNoReplace).code(), Code::kAlreadyExists);
  EXPECT_EQ(meta_->Rename("/f1", "/d1").code(), Code::kIsADirectory);
  EXPECT_EQ(meta_->Rename("/d1", "/f1").code(), Code::kNotADirectory);
  EXPECT_EQ(meta_->Rename("/d1", "/d2").code(), Code::kNotEmpty);
  ASSERT_TRUE(meta_->Rename("/f1", "/f2").ok());
  EXPECT_EQ(ReadBody("/f2"), "one");
  EXPECT_EQ(meta_->Totals().files, 2u);  // f2's old inode is gone; /d2/x remains
  ASSERT_TRUE(meta_->Rmdir("/d2/x").code() == Code::kNotADirectory);
  ASSERT_TRUE(meta_->Unlink("/d2/x").ok());
  ASSERT_TRUE(meta_->Rename("/d1", "/d2").ok());
  EXPECT_EQ(List("/"), (Strings{"d2", "f2"}));
  EXPECT_EQ(meta_->Stat("/")->nlink, 3u);
}

TEST_F(RenameTest, ExchangeSwapsTwoEntries) {
  ASSERT_TRUE(Publish("/x", "X").ok());
  ASSERT_TRUE(meta_->Mkdir("/y").ok());
  ASSERT_TRUE(meta_->Rename("/x", "/y", RenameMode::kExchange).ok());
  EXPECT_EQ(meta_->Stat("/x")->type, FileType::kDirectory);
  EXPECT_EQ(ReadBody("/y"), "X");
  EXPECT_EQ(meta_->Rename("/x", "/nope", RenameMode::kExchange).code(), Code::kNotFound);
}

TEST_F(RenameTest, RenameOntoItselfIsANoOp) {
  ASSERT_TRUE(Publish("/same", "s").ok());
  ASSERT_TRUE(meta_->Rename("/same", "/same").ok());
  EXPECT_EQ(ReadBody("/same"), "s");
}

TEST_F(PublishTest, GenerationIsTheCommitSequence) {
  auto attr = Publish("/runs/1/model.bin", "weights");
  ASSERT_TRUE(attr.ok()) << attr.status().ToString();
  EXPECT_EQ(attr->generation, meta_->visible_seq());
  EXPECT_EQ(attr->size, 7u);
  EXPECT_EQ(ReadBody("/runs/1/model.bin"), "weights");
  auto m = meta_->GetManifest(attr->inode, attr->generation);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->layout.blocks.size(), 2u);  // 4-byte test blocks
  EXPECT_EQ(m->content_type, "application/octet-stream");
}

TEST_F(PublishTest, CreateReplaceAndCompareAndSwap) {
  auto v1 = Publish("/f", "v1");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(Publish("/f", "v2").status().code(), Code::kAlreadyExists);
  auto v2 = Publish("/f", "v2", PublishMode::kReplace);
  ASSERT_TRUE(v2.ok());
  EXPECT_GT(v2->generation, v1->generation);
  EXPECT_EQ(v2->inode, v1->inode);
  auto stale = Publish("/f", "v3", PublishMode::kReplaceIfGeneration, v1->generation);
  EXPECT_EQ(stale.status().code(), Code::kFailedPrecondition);
  auto v3 = Publish("/f", "v3", PublishMode::kReplaceIfGeneration, v2->generation);
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(ReadBody("/f"), "v3");
  EXPECT_EQ(meta_->Totals().bytes, 2u);
  // The old generation's manifest is gone from the latest view.
  EXPECT_EQ(meta_->GetManifest(v1->inode, v1->generation).status().code(), Code::kExpired);
}

TEST_F(PublishTest, PublishManyIsAllOrNothing) {
  ASSERT_TRUE(Publish("/ckpt/existing", "old").ok());
  std::vector<PublishRequest> requests(3);
  for (int i = 0; i < 3; ++i) {
    requests[i].path = "/ckpt/step-" + std::to_string(i);
    requests[i].manifest = Upload("shard" + std::to_string(i));
    requests[i].node.parents = true;
  }
  requests[2].path = "/ckpt/existing";  // create-only: conflicts
  uint64_t before = meta_->visible_seq();
  EXPECT_EQ(meta_->PublishMany(requests).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(meta_->visible_seq(), before);
  EXPECT_EQ(meta_->Stat("/ckpt/step-0").status().code(), Code::kNotFound);
  requests[2].path = "/ckpt/new/step-2";
  auto done = meta_->PublishMany(requests);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(meta_->visible_seq(), before + 1);
  for (const auto& attr : *done) EXPECT_EQ(attr.generation, before + 1);
  EXPECT_EQ(ReadBody("/ckpt/new/step-2"), "shard2");
  requests[0].path = requests[1].path = "/ckpt/dup";
  requests[2].path = "/ckpt/other";
  EXPECT_EQ(meta_->PublishMany(requests).status().code(), Code::kInvalidArgument);
}

TEST_F(PublishTest, PublishManyCreatesSharedParentsOnce) {
  std::vector<PublishRequest> requests(3);
  const char* paths[] = {"/new/dir/a", "/new/dir/b", "/new/other/c"};
  for (int i = 0; i < 3; ++i) {
    requests[i].path = paths[i];
    requests[i].manifest = Upload(std::string("body") + paths[i]);
    requests[i].node.parents = true;
  }
  uint64_t before = meta_->visible_seq();
  auto done = meta_->PublishMany(requests);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(meta_->visible_seq(), before + 1);
  EXPECT_EQ(List("/new/dir"), (Strings{"a", "b"}));
  EXPECT_EQ(meta_->Stat("/new")->child_count, 2u);
  EXPECT_EQ(ReadBody("/new/other/c"), "body/new/other/c");
}

TEST_F(PublishTest, PublishOverADirectoryOrIntoAFileFails) {
  ASSERT_TRUE(meta_->Mkdir("/d").ok());
  EXPECT_EQ(Publish("/d", "x", PublishMode::kReplace).status().code(), Code::kIsADirectory);
  ASSERT_TRUE(Publish("/file", "x").ok());
  EXPECT_EQ(Publish("/file/child", "x").status().code(), Code::kNotADirectory);
}

TEST_F(PublishTest, IdenticalBlocksAreCountedOnce) {
  ASSERT_TRUE(Publish("/a", "samesame").ok());
  ASSERT_TRUE(Publish("/b", "samesame").ok());
  EXPECT_EQ(BlockObjects(), 1u);  // "same" twice per file, all one block
  ASSERT_TRUE(meta_->Unlink("/a").ok());
  auto report = meta_->CollectGarbage();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->blocks_deleted, 0u);
  EXPECT_EQ(ReadBody("/b"), "samesame");
}

// A publish whose one commit would be a WAL record over the engine's batch
// limit is refused as TooLarge before anything is written, and the store
// opens again afterwards (recovery never meets a record it refuses).
TEST_F(PublishTest, APublishOverTheBatchLimitIsRefusedAndTheStoreStillOpens) {
  std::string dir = dir_.path() + "/limited";
  auto open = [&] {
    MetaOptions options;
    options.engine.background_work = false;
    options.engine.max_batch_bytes = 64 << 10;
    options.store = &store_;
    return MetaService::Open(dir, std::move(options));
  };
  auto meta = open();
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  std::vector<PublishRequest> requests;
  for (int i = 0; i < 40; ++i) {  // 40 manifests of 64 blocks: about 120 KiB of records
    PublishRequest r;
    r.path = "/big/f" + std::to_string(i);
    r.node.parents = true;
    for (int b = 0; b < 64; ++b) {
      r.manifest.layout.blocks.push_back({Sha256::Of(std::to_string(i * 64 + b)), 1});
    }
    r.manifest.layout.size = 64;
    requests.push_back(std::move(r));
  }
  auto refused = (*meta)->PublishMany(requests);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().Is(Code::kTooLarge)) << refused.status().ToString();
  EXPECT_FALSE((*meta)->Stat("/big").ok());
  requests.resize(4);  // a smaller tree fits
  ASSERT_TRUE((*meta)->PublishMany(requests).ok());
  meta->reset();
  auto again = open();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE((*again)->Stat("/big/f3").ok());
}

}  // namespace
}  // namespace nokv::meta
