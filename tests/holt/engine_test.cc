// Engine behaviour visible at its interface: reads, scans, predicates, MVCC
// views, pins, reopen, checkpoints, the directory lock and stats.
#include "holt/engine.h"

#include <gtest/gtest.h>

#include "engine_test_util.h"

namespace nokv::holt {
namespace {

using testing::Dump;
using testing::MustCommit;
using testing::Put;
using testing::TestOptions;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen(Options options = TestOptions()) {
    engine_.reset();
    auto e = Engine::Open(dir_.path(), options);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
  }
  std::string Get(std::string_view key, const ReadView* view = nullptr) {
    auto v = engine_->Get(key, view);
    return v.ok() ? v->bytes : "<" + std::string(CodeName(v.status().code())) + ">";
  }

  nokv::testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, PutGetOverwriteDelete) {
  uint64_t s1 = Put(*engine_, "a", "1");
  uint64_t s2 = Put(*engine_, "a", "2");
  EXPECT_EQ(s2, s1 + 1);
  EXPECT_EQ(Get("a"), "2");
  EXPECT_EQ(engine_->Get("a")->seq, s2);
  Batch del;
  del.Delete("a");
  MustCommit(*engine_, del);
  EXPECT_EQ(Get("a"), "<not_found>");
  EXPECT_EQ(Get("missing"), "<not_found>");
}

TEST_F(EngineTest, EmptyKeyAndKeysThatArePrefixesOfOthers) {
  Put(*engine_, "", "root");
  Put(*engine_, "a", "1");
  Put(*engine_, "ab", "2");
  Put(*engine_, std::string("a\0", 2), "nul");
  EXPECT_EQ(Get(""), "root");
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("ab"), "2");
  EXPECT_EQ(Get(std::string("a\0", 2)), "nul");
  auto all = Dump(*engine_);
  std::vector<std::string> keys;
  for (auto& [k, v] : all) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"", "a", std::string("a\0", 2), "ab"}));
}

TEST_F(EngineTest, LaterOpOnSameKeyInOneBatchWins) {
  Batch b;
  b.Put("k", "first");
  b.Put("k", "second");
  b.Put("gone", "x");
  b.Delete("gone");
  MustCommit(*engine_, b);
  EXPECT_EQ(Get("k"), "second");
  EXPECT_EQ(Get("gone"), "<not_found>");
  EXPECT_EQ(engine_->GetStats().versions, 2u);  // "k" and the tombstone of "gone"
}

TEST_F(EngineTest, ScanHonoursPrefixStartAfterLimitAndDirection) {
  for (std::string k : {"d/1", "d/2", "d/3", "d/4", "e/1", "c/9"}) Put(*engine_, k, k);
  ScanOptions o;
  o.prefix = "d/";
  o.limit = 2;
  auto page = engine_->Scan(o);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].key, "d/1");
  EXPECT_EQ((*page)[1].key, "d/2");
  o.start_after = "d/2";
  page = engine_->Scan(o);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].key, "d/3");

  ScanOptions r;
  r.prefix = "d/";
  r.reverse = true;
  page = engine_->Scan(r);
  ASSERT_EQ(page->size(), 4u);
  EXPECT_EQ(page->front().key, "d/4");
  EXPECT_EQ(page->back().key, "d/1");
  r.start_after = "d/3";
  page = engine_->Scan(r);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ(page->front().key, "d/2");

  ScanOptions keys_only;
  keys_only.keys_only = true;
  page = engine_->Scan(keys_only);
  ASSERT_EQ(page->size(), 6u);
  EXPECT_TRUE(page->front().value.empty());
  EXPECT_EQ(engine_->CountPrefix("d/"), 4u);
  EXPECT_EQ(engine_->CountPrefix(""), 6u);
}

TEST_F(EngineTest, ReverseScanWithAllFfPrefixReachesTheEnd) {
  std::string ff("\xff\xff", 2);
  Put(*engine_, ff, "a");
  Put(*engine_, ff + "x", "b");
  ScanOptions r;
  r.prefix = ff;
  r.reverse = true;
  auto page = engine_->Scan(r);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ(page->front().key, ff + "x");
}

TEST_F(EngineTest, FailedPredicateAppliesNothingAndNamesThePredicate) {
  Put(*engine_, "exists", "1");
  Batch b;
  b.RequireExists("exists");
  b.RequireNotExists("exists");
  b.Put("new", "v");
  size_t failed = 99;
  auto r = engine_->Commit(b, &failed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(r.status().Is(Reason::kPredicateFailed));
  EXPECT_EQ(failed, 1u);
  EXPECT_NE(r.status().message().find("not_exists \"exists\""), std::string_view::npos);
  EXPECT_EQ(Get("new"), "<not_found>");
  EXPECT_EQ(engine_->visible_seq(), 1u);
}

TEST_F(EngineTest, VersionPredicateIsCompareAndSwap) {
  uint64_t seq = Put(*engine_, "k", "v1");
  Batch cas;
  cas.RequireVersion("k", seq);
  cas.Put("k", "v2");
  ASSERT_TRUE(engine_->Commit(cas).ok());
  EXPECT_FALSE(engine_->Commit(cas).ok());  // seq moved on
  Batch create;
  create.RequireVersion("fresh", 0);
  create.Put("fresh", "x");
  EXPECT_TRUE(engine_->Commit(create).ok());
  EXPECT_FALSE(engine_->Commit(create).ok());
}

TEST_F(EngineTest, PrefixEmptyIgnoresDeletedKeys) {
  Put(*engine_, "dir/a", "1");
  Batch rmdir;
  rmdir.RequirePrefixEmpty("dir/");
  rmdir.Delete("dir");
  EXPECT_FALSE(engine_->Commit(rmdir).ok());
  Batch del;
  del.Delete("dir/a");
  MustCommit(*engine_, del);
  EXPECT_TRUE(engine_->Commit(rmdir).ok());
}

TEST_F(EngineTest, PinnedViewSeesTheOldStateAfterChanges) {
  Put(*engine_, "a", "old");
  Put(*engine_, "b", "old");
  ReadView view = engine_->Pin();
  Put(*engine_, "a", "new");
  Batch del;
  del.Delete("b");
  MustCommit(*engine_, del);
  Put(*engine_, "c", "new");
  engine_->Sweep();
  EXPECT_EQ(Get("a", &view), "old");
  EXPECT_EQ(Get("b", &view), "old");
  EXPECT_EQ(Get("c", &view), "<not_found>");
  EXPECT_EQ(Dump(*engine_, &view).size(), 2u);
  EXPECT_EQ(Get("a"), "new");
  EXPECT_EQ(Get("b"), "<not_found>");
}

TEST_F(EngineTest, VersionsNoPinCanSeeAreFreed) {
  for (int i = 0; i < 100; ++i) Put(*engine_, "hot", std::to_string(i));
  Put(*engine_, "tmp", "x");
  Batch d;
  d.Delete("tmp");
  MustCommit(*engine_, d);
  Put(*engine_, "other", "y");  // next group collects the tombstone
  engine_->Sweep();
  Stats s = engine_->GetStats();
  EXPECT_EQ(s.keys, 2u);
  EXPECT_EQ(s.versions, 2u);
}

TEST_F(EngineTest, ReleasingAViewLetsSweepFreeItsVersions) {
  Put(*engine_, "k", "1");
  {
    ReadView view = engine_->Pin();
    Put(*engine_, "k", "2");
    Put(*engine_, "k", "3");
    engine_->Sweep();
    EXPECT_EQ(engine_->GetStats().versions, 2u);
  }
  engine_->Sweep();
  EXPECT_EQ(engine_->GetStats().versions, 1u);
}

TEST_F(EngineTest, PinAtAcceptsRetainedSequencesOnly) {
  uint64_t s1 = Put(*engine_, "k", "1");
  ReadView held = engine_->Pin();
  uint64_t s2 = Put(*engine_, "k", "2");
  Put(*engine_, "k", "3");
  auto again = engine_->PinAt(s1);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Get("k", &*again), "1");
  auto gone = engine_->PinAt(s2);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), Code::kExpired);
  EXPECT_EQ(engine_->PinAt(engine_->visible_seq() + 5).status().code(), Code::kInvalidArgument);
}

TEST_F(EngineTest, DataSurvivesReopen) {
  Put(*engine_, "a", "1");
  Put(*engine_, "b", "2");
  Batch del;
  del.Delete("a");
  uint64_t last = MustCommit(*engine_, del);
  Reopen();
  EXPECT_EQ(Get("a"), "<not_found>");
  EXPECT_EQ(Get("b"), "2");
  EXPECT_EQ(engine_->visible_seq(), last);
  EXPECT_EQ(Put(*engine_, "c", "3"), last + 1);
}

TEST_F(EngineTest, CheckpointDropsCoveredWalAndReopensFromImage) {
  for (int i = 0; i < 500; ++i) Put(*engine_, "key" + std::to_string(i), std::string(100, 'v'));
  ASSERT_TRUE(engine_->Checkpoint().ok());
  Put(*engine_, "after", "x");
  auto names = Env::Default()->GetChildren(dir_.path());
  int wal_segments = 0, images = 0;
  for (auto& n : *names) {
    wal_segments += n.starts_with("wal-");
    images += n.starts_with("checkpoint-");
  }
  EXPECT_EQ(wal_segments, 1);
  EXPECT_EQ(images, 1);
  EXPECT_EQ(engine_->GetStats().checkpoint_seq, 500u);
  Reopen();
  auto all = Dump(*engine_);
  EXPECT_EQ(all.size(), 501u);
  EXPECT_EQ(all["key42"], std::string(100, 'v'));
  EXPECT_EQ(all["after"], "x");
}

TEST_F(EngineTest, DurablePinSurvivesReopenAndCheckpoint) {
  Put(*engine_, "k", "before");
  Batch snap;
  snap.Pin("snap1");
  uint64_t pinned = MustCommit(*engine_, snap);
  Put(*engine_, "k", "after");
  Put(*engine_, "gone", "x");
  ASSERT_TRUE(engine_->Checkpoint().ok());
  Reopen();
  auto view = engine_->PinDurable("snap1");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->seq(), pinned);
  EXPECT_EQ(Get("k", &*view), "before");
  EXPECT_EQ(Get("gone", &*view), "<not_found>");
  EXPECT_EQ(Get("k"), "after");
  EXPECT_EQ(engine_->DurablePins().size(), 1u);

  Batch unpin;
  unpin.Unpin("snap1");
  MustCommit(*engine_, unpin);
  *view = ReadView();
  engine_->Sweep();
  EXPECT_EQ(engine_->PinDurable("snap1").status().code(), Code::kNotFound);
  EXPECT_EQ(engine_->GetStats().versions, 2u);
}

TEST_F(EngineTest, SecondOpenOfTheSameDirectoryIsBusyNamingTheHolder) {
  auto second = Engine::Open(dir_.path(), TestOptions());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kBusy);
  EXPECT_NE(second.status().message().find("held by pid"), std::string_view::npos);
}

TEST_F(EngineTest, StatsCountKeysBytesAndCommits) {
  for (int i = 0; i < 10; ++i) Put(*engine_, "k" + std::to_string(i), "value");
  Stats s = engine_->GetStats();
  EXPECT_EQ(s.keys, 10u);
  EXPECT_EQ(s.versions, 10u);
  EXPECT_EQ(s.commits, 10u);
  EXPECT_EQ(s.record_bytes, 10u * (sizeof(Record) + 7));  // "k0".."k9" + "value"
  EXPECT_GT(s.node_bytes, 0u);
  EXPECT_EQ(s.resident_bytes, s.record_bytes + s.node_bytes);
  EXPECT_GT(s.wal_bytes, 0u);
  EXPECT_EQ(s.commit_latency.count, 10u);
  EXPECT_EQ(s.last_seq, 10u);
}

TEST_F(EngineTest, EmptyBatchChecksPredicatesWithoutANewSequence) {
  Put(*engine_, "k", "v");
  Batch check;
  check.RequireExists("k");
  auto r = engine_->Commit(check);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 1u);
  Batch bad;
  bad.RequireExists("nope");
  EXPECT_FALSE(engine_->Commit(bad).ok());
}

TEST_F(EngineTest, GroupAndNoneDurabilityKeepDataAcrossCleanClose) {
  for (Durability d : {Durability::kGroup, Durability::kNone}) {
    Options o = TestOptions();
    o.durability = d;
    o.background_work = true;
    Reopen(o);
    Put(*engine_, "mode" + std::to_string(static_cast<int>(d)), "x");
    Reopen(o);
    EXPECT_EQ(Get("mode" + std::to_string(static_cast<int>(d))), "x");
  }
}

}  // namespace
}  // namespace nokv::holt

namespace nokv::holt {
namespace {

// A counter merge: the operand is added to the decimal value; "fail" fails.
Result<std::string> AddMerge(std::string_view, const std::string_view* existing,
                             std::string_view operand, uint64_t seq) {
  if (operand == "fail") return Status::InvalidArgument("merge refused");
  if (operand == "seq") return std::to_string(seq);
  long long base = existing ? std::stoll(std::string(*existing)) : 0;
  return std::to_string(base + std::stoll(std::string(operand)));
}

class EngineMergeTest : public ::testing::Test {
 protected:
  void Open(bool with_operator = true) {
    engine_.reset();
    Options o = testing::TestOptions();
    if (with_operator) o.merge_operator = AddMerge;
    auto e = Engine::Open(dir_.path(), o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
  }
  nokv::testing::TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineMergeTest, MergesSeeEarlierOpsOfTheirBatchAndTheCommittedValue) {
  Open();
  Batch b;
  b.Merge("n", "5");
  b.Merge("n", "2");
  testing::MustCommit(*engine_, b);
  EXPECT_EQ(engine_->Get("n")->bytes, "7");
  Batch c;
  c.Put("n", "100");
  c.Merge("n", "1");
  c.Merge("s", "seq");
  uint64_t seq = testing::MustCommit(*engine_, c);
  EXPECT_EQ(engine_->Get("n")->bytes, "101");
  EXPECT_EQ(engine_->Get("s")->bytes, std::to_string(seq));
}

TEST_F(EngineMergeTest, FailingMergeFailsTheWholeBatchWithoutASequence) {
  Open();
  uint64_t before = testing::Put(*engine_, "a", "1");
  Batch b;
  b.Put("a", "2");
  b.Merge("n", "fail");
  auto r = engine_->Commit(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(engine_->Get("a")->bytes, "1");
  EXPECT_EQ(testing::Put(*engine_, "b", "x"), before + 1);
}

TEST_F(EngineMergeTest, WalRecordsTheResolvedValueSoReplayNeedsNoOperator) {
  Open();
  Batch b;
  b.Merge("n", "41");
  b.Merge("n", "1");
  testing::MustCommit(*engine_, b);
  Open(/*with_operator=*/false);
  EXPECT_EQ(engine_->Get("n")->bytes, "42");
  Batch m;
  m.Merge("n", "1");
  EXPECT_EQ(engine_->Commit(m).status().code(), Code::kInvalidArgument);
}

TEST_F(EngineMergeTest, StampWritesTheCommitSequenceIntoKeyAndValue) {
  Open();
  std::string key = "w" + std::string(8, '\0') + "#1";
  std::string value = "gen=" + std::string(8, '\0');
  Batch b;
  b.Put(key, value, Stamp{1, 4});
  uint64_t seq = testing::MustCommit(*engine_, b);
  std::string want_seq(8, '\0');
  for (int i = 0; i < 8; ++i) want_seq[7 - i] = static_cast<char>((seq >> (8 * i)) & 0xff);
  std::string want_key = "w" + want_seq + "#1";
  auto got = engine_->Get(want_key);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->bytes, "gen=" + want_seq);
  Open();
  EXPECT_TRUE(engine_->Get(want_key).ok());

  Batch bad;
  bad.Put("short", "x", Stamp{0, kNoStamp});
  EXPECT_EQ(engine_->Commit(bad).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace nokv::holt
