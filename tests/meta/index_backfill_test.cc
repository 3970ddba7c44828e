// Index administration is crash-safe and makes progress: back-fill persists its cursor,
// finishes at the next open after a crash at any kill point, halves batches that keep
// conflicting, skips files renamed away, and the in-memory rule set follows commits.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/fault_env.h"
#include "index_fixture.h"

namespace nokv::meta {
namespace {

using testing::ExpectMatchesRebuild;
using testing::RowText;
using testing::RuleFrom;

const char* kParentRule = R"J({"id": "runs", "root": "/runs", "glob": "*/*.json",
    "target": "parent", "fields": ["status=$.status", "n:number=count($.n)"]})J";
const char* kFileRule = R"J({"id": "files", "root": "/runs", "glob": "**/*.json",
    "fields": ["n:number=$.n"]})J";

class IndexBackfillTest : public testing::MetaTest {
 protected:
  void PublishRuns(MetaService* meta, int runs, int files_per_run) {
    for (int r = 0; r < runs; ++r) {
      for (int f = 0; f < files_per_run; ++f) {
        PublishRequest request;
        request.path = "/runs/r" + std::to_string(r) + "/f" + std::to_string(f) + ".json";
        std::string body = R"({"status": "ok", "n": )" + std::to_string(r * 10 + f) + "}";
        request.manifest = Upload(body);
        request.body = body;
        request.node.parents = true;
        ASSERT_TRUE(meta->Publish(request).ok());
      }
    }
  }

  Result<std::unique_ptr<MetaService>> OpenWith(Env* env) {
    MetaOptions options;
    options.engine.env = env;
    options.engine.background_work = false;
    options.store = &store_;
    options.now_ns = [this] { return now_ns_; };
    return MetaService::Open(dir_.path() + "/crash", std::move(options));
  }
};

TEST_F(IndexBackfillTest, ABatchThatKeepsConflictingIsHalvedUntilItCommits) {
  PublishRuns(meta_.get(), 10, 3);
  int conflicts = 0;
  // Every multi-file batch meets a concurrent republish of one of its files, more often
  // than max_retries; batches of one file are left alone.
  meta_->SetBackfillHook([&](size_t files) {
    if (files > 1 || conflicts < 2) {
      ++conflicts;
      ASSERT_TRUE(
          Publish("/runs/r0/f0.json", R"({"status": "ok", "n": 0})", PublishMode::kReplace).ok());
    }
  });
  ASSERT_TRUE(meta_->AddIndexRule(RuleFrom(kFileRule)).ok());
  meta_->SetBackfillHook(nullptr);
  EXPECT_GT(conflicts, 2);
  EXPECT_EQ(RowText(meta_.get(), "files", "/runs/r9/f2.json"), "n=92;");
  ExpectMatchesRebuild(meta_.get(), RuleFrom(kFileRule));
}

TEST_F(IndexBackfillTest, AFileRenamedDuringBackfillGetsNoRowAtItsOldPath) {
  PublishRuns(meta_.get(), 3, 2);
  bool renamed = false;
  meta_->SetBackfillHook([&](size_t) {
    if (renamed) return;
    renamed = true;
    ASSERT_TRUE(meta_->Rename("/runs/r0", "/runs/r9").ok());
  });
  ASSERT_TRUE(meta_->AddIndexRule(RuleFrom(kParentRule)).ok());
  ASSERT_TRUE(renamed);
  EXPECT_EQ(RowText(meta_.get(), "runs", "/runs/r0"), "<none>");
  EXPECT_EQ(RowText(meta_.get(), "runs", "/runs/r9"), "n=2;status=\"ok\";");
  ExpectMatchesRebuild(meta_.get(), RuleFrom(kParentRule));
}

TEST_F(IndexBackfillTest, TheRuleRecordShowsBackfillProgressUntilReady) {
  PublishRuns(meta_.get(), 2, 2);
  std::vector<std::string> seen;
  meta_->SetBackfillHook([&](size_t) {
    auto records = meta_->IndexRuleRecords();
    ASSERT_TRUE(records.ok());
    ASSERT_EQ(records->size(), 1u);
    seen.push_back(std::string(IndexRuleStateName(records->front().state)));
    EXPECT_EQ(meta_->IndexRules().size(), 1u);  // publishes maintain it meanwhile
  });
  ASSERT_TRUE(meta_->AddIndexRule(RuleFrom(kParentRule)).ok());
  EXPECT_EQ(seen, std::vector<std::string>{"backfilling"});
  auto records = meta_->IndexRuleRecords();
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->front().state, IndexRuleState::kReady);
}

// The rule map changes only after the commit: a remove whose commit fails leaves the
// rule listed and maintained, in step with the stored record.
TEST_F(IndexBackfillTest, ARemoveThatFailsToCommitLeavesTheRuleInPlace) {
  std::filesystem::remove_all(dir_.path() + "/crash");
  FaultInjectionEnv env(Env::Default());
  auto meta = OpenWith(&env);
  ASSERT_TRUE(meta.ok());
  ASSERT_TRUE((*meta)->AddIndexRule(RuleFrom(kFileRule)).ok());
  env.CrashAfter(0);
  EXPECT_FALSE((*meta)->RemoveIndexRule("files").ok());
  EXPECT_EQ((*meta)->IndexRules().size(), 1u);
  auto records = (*meta)->IndexRuleRecords();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(records->front().state, IndexRuleState::kReady);
}

TEST_F(IndexBackfillTest, BackfillInterruptedAtEveryKillPointCompletesAtTheNextOpen) {
  constexpr int kRuns = 45, kFiles = 3;  // 135 files: two back-fill batches
  auto prepare = [&](MetaService* meta) { PublishRuns(meta, kRuns, kFiles); };
  int64_t total_ops = 0;
  {
    std::filesystem::remove_all(dir_.path() + "/crash");
    FaultInjectionEnv env(Env::Default());
    auto meta = OpenWith(&env);
    ASSERT_TRUE(meta.ok());
    prepare(meta->get());
    int64_t before = env.mutating_ops();
    ASSERT_TRUE((*meta)->AddIndexRule(RuleFrom(kParentRule)).ok());
    total_ops = env.mutating_ops() - before;
  }
  ASSERT_GT(total_ops, 3);
  for (int64_t budget = 0; budget <= total_ops; ++budget) {
    SCOPED_TRACE("kill after " + std::to_string(budget) + " mutations");
    std::filesystem::remove_all(dir_.path() + "/crash");
    FaultInjectionEnv env(Env::Default());
    {
      auto meta = OpenWith(&env);
      ASSERT_TRUE(meta.ok());
      prepare(meta->get());
      ASSERT_TRUE((*meta)->engine()->Checkpoint().ok());
      env.CrashAfter(budget);
      (void)(*meta)->AddIndexRule(RuleFrom(kParentRule));
    }
    ASSERT_TRUE(env.SimulateCrash(static_cast<uint32_t>(budget)).ok());
    auto meta = OpenWith(&env);  // finishes the back-fill
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    auto records = (*meta)->IndexRuleRecords();
    ASSERT_TRUE(records.ok());
    if (records->empty()) continue;  // died before the rule was stored
    ASSERT_EQ(records->front().state, IndexRuleState::kReady);
    ExpectMatchesRebuild(meta->get(), RuleFrom(kParentRule));
    EXPECT_EQ(RowText(meta->get(), "runs", "/runs/r44"), "n=3;status=\"ok\";");
  }
}

}  // namespace
}  // namespace nokv::meta
