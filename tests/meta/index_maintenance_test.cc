// Index maintenance under concurrency: rows of `target: parent` rules are the reduction
// of their files' contributions, every derived write is guarded, and after random
// publishes, removes, renames, truncations and xattr changes from several threads the
// index equals a rebuild from scratch, key for key.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "index_fixture.h"

namespace nokv::meta {
namespace {

using testing::ExpectMatchesRebuild;
using testing::RowText;
using testing::RuleFrom;

const char* kParentRule = R"J({"id": "runs", "root": "/runs", "glob": "*/*.json",
    "target": "parent", "fields": ["status=$.status", "best:number=min($.loss)",
    "worst:number=max($.loss)", "n:number=count($.loss)", "total:number=sum($.loss)",
    "first=first($.status)", "last=last($.status)", "tag=$.tag"]})J";
const char* kFileRule = R"J({"id": "files", "root": "/runs", "glob": "**/*.json",
    "fields": ["loss:number=$.loss", "status=$.status"]})J";

class IndexMaintenanceTest : public testing::MetaTest {
 protected:
  std::string Body(int status, int loss, int tag) {
    return R"({"status": "s)" + std::to_string(status) + R"(", "loss": )" + std::to_string(loss) +
           R"(, "tag": "t)" + std::to_string(tag) + "\"}";
  }
};

TEST_F(IndexMaintenanceTest, ParentRowReducesEveryFilesContribution) {
  ASSERT_TRUE(meta_->AddIndexRule(RuleFrom(kParentRule)).ok());
  ASSERT_TRUE(Publish("/runs/r/b.json", Body(2, 5, 1)).ok());
  ASSERT_TRUE(Publish("/runs/r/a.json", Body(1, 7, 2)).ok());
  ASSERT_TRUE(Publish("/runs/r/c.json", Body(3, 3, 1)).ok());
  // first/last by file name (a, b, c); min/max over files; count and sum add up; plain
  // fields are the union.
  EXPECT_EQ(RowText(meta_.get(), "runs", "/runs/r"),
            "best=3;first=\"s1\";last=\"s3\";n=3;status=\"s1\";status=\"s2\";status=\"s3\";"
            "tag=\"t2\";tag=\"t1\";total=15;worst=7;");
}

TEST_F(IndexMaintenanceTest, RemovingOneFileKeepsTheSiblingsContribution) {
  ASSERT_TRUE(meta_->AddIndexRule(RuleFrom(kParentRule)).ok());
  ASSERT_TRUE(Publish("/runs/r/a.json", Body(1, 7, 1)).ok());
  ASSERT_TRUE(Publish("/runs/r/b.json", Body(2, 5, 2)).ok());
  ASSERT_TRUE(meta_->Unlink("/runs/r/a.json").ok());
  EXPECT_EQ(RowText(meta_.get(), "runs", "/runs/r"),
            "best=5;first=\"s2\";last=\"s2\";n=1;status=\"s2\";tag=\"t2\";total=5;worst=5;");
  ASSERT_TRUE(meta_->Rename("/runs/r/b.json", "/runs/q/b.json").code() == Code::kNotFound);
  ASSERT_TRUE(meta_->Mkdir("/runs/q").ok());
  ASSERT_TRUE(meta_->Rename("/runs/r/b.json", "/runs/q/b.json").ok());
  EXPECT_EQ(RowText(meta_.get(), "runs", "/runs/r"), "<none>");
  EXPECT_EQ(RowText(meta_.get(), "runs", "/runs/q"),
            "best=5;first=\"s2\";last=\"s2\";n=1;status=\"s2\";tag=\"t2\";total=5;worst=5;");
  ExpectMatchesRebuild(meta_.get(), RuleFrom(kParentRule));
}

TEST_F(IndexMaintenanceTest, ConcurrentSiblingPublishesLeaveNoStaleValueEntries) {
  ASSERT_TRUE(meta_->AddIndexRule(RuleFrom(kParentRule)).ok());
  constexpr int kThreads = 4, kRounds = 60;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        ASSERT_TRUE(Publish("/runs/r/f" + std::to_string(t) + ".json", Body(i, i * kThreads + t, i),
                            PublishMode::kReplace)
                        .ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ExpectMatchesRebuild(meta_.get(), RuleFrom(kParentRule));
}

TEST_F(IndexMaintenanceTest, XattrSetRacingTheLastUnlinkLeavesNoOrphans) {
  for (int round = 0; round < 200; ++round) {
    std::string path = "/x" + std::to_string(round);
    auto file = meta_->Create(path);
    ASSERT_TRUE(file.ok());
    std::atomic<bool> started{false};
    std::thread setter([&] {
      // Bounded: an unbounded stream of inode rewrites could starve the
      // unlink's retries (each one conflicts with it).
      for (int i = 0; i < 16; ++i) {
        started.store(true);
        Status s =
            meta_->SetXattr(file->inode, "user.k" + std::to_string(i % 4), "v", XattrMode::kEither);
        if (!s.ok()) return;  // the inode is gone
      }
    });
    while (!started.load()) std::this_thread::yield();
    Status unlinked = meta_->Unlink(path);
    setter.join();
    ASSERT_TRUE(unlinked.ok()) << unlinked.ToString();
    auto left = meta_->ListXattrs(file->inode);
    ASSERT_TRUE(left.ok());
    ASSERT_TRUE(left->empty()) << "round " << round << ": " << left->size() << " orphaned";
  }
}

// Several threads publish, remove, rename files and directories, truncate and set xattrs
// under a parent-target and a file-target rule; the index must equal a rebuild.
TEST_F(IndexMaintenanceTest, RandomConcurrentOperationsKeepTheIndexEqualToARebuild) {
  ASSERT_TRUE(meta_->AddIndexRule(RuleFrom(kParentRule)).ok());
  ASSERT_TRUE(meta_->AddIndexRule(RuleFrom(kFileRule)).ok());
  ASSERT_TRUE(meta_->Mkdir("/archive").ok());
  constexpr int kThreads = 4, kOps = 700;
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(1234 + t);
      auto pick = [&](int n) { return static_cast<int>(rng() % n); };
      auto dir = [&] { return "/runs/d" + std::to_string(pick(5)); };
      auto file = [&] {
        std::string d = dir();
        if (pick(4) == 0) d += "/sub";
        return d + "/f" + std::to_string(pick(4)) + (pick(6) == 0 ? ".txt" : ".json");
      };
      for (int i = 0; i < kOps; ++i) {
        Status s;
        switch (pick(9)) {
          case 0:
          case 1:
          case 2:
            s = Publish(file(), Body(pick(3), pick(100), pick(3)), PublishMode::kReplace).status();
            break;
          case 3:
            s = meta_->Unlink(file());
            break;
          case 4:
            s = meta_->Rename(file(), file(), RenameMode::kReplace);
            break;
          case 5:
            s = meta_->Rename(dir(), dir(), RenameMode::kNoReplace);
            break;
          case 6: {
            std::string name = "d" + std::to_string(pick(5));
            s = pick(2)
                    ? meta_->Rename("/runs/" + name, "/archive/" + name, RenameMode::kNoReplace)
                    : meta_->Rename("/archive/" + name, "/runs/" + name, RenameMode::kNoReplace);
            break;
          }
          case 7: {
            SetAttrRequest truncate;
            truncate.size = 0;
            s = meta_->SetAttr(file(), truncate).status();
            break;
          }
          case 8: {
            auto inode = meta_->Resolve(file());
            s = inode.ok() ? meta_->SetXattr(*inode, "user.k", "v", XattrMode::kEither)
                           : inode.status();
            break;
          }
        }
        if (s.ok()) succeeded.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_GT(succeeded.load(), kThreads * kOps / 4);
  ExpectMatchesRebuild(meta_.get(), RuleFrom(kParentRule));
  ExpectMatchesRebuild(meta_.get(), RuleFrom(kFileRule));
}

}  // namespace
}  // namespace nokv::meta
