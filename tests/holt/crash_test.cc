// Crash tests: the process "dies" after every possible number of file-system
// mutations (WAL appends, syncs, segment rotation, checkpoint writes, renames,
// removals), the disk is reduced to what a power loss could leave (unsynced
// tails dropped or torn), and the engine is reopened. Every acknowledged batch
// must be there, and the one batch in flight is either whole or absent.
#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "common/env_wrapper.h"
#include "common/fault_env.h"
#include "engine_test_util.h"

namespace nokv::holt {
namespace {

using testing::Dump;
using State = std::map<std::string, std::string>;

struct Workload {
  std::vector<Batch> batches;
  std::vector<State> states;  // states[k]: after the first k batches
};

Workload MakeWorkload(uint32_t seed, int n) {
  std::mt19937 rng(seed);
  Workload w;
  w.states.emplace_back();
  for (int i = 0; i < n; ++i) {
    Batch b;
    State next = w.states.back();
    int ops = 1 + static_cast<int>(rng() % 3);
    for (int j = 0; j < ops; ++j) {
      std::string key = "k" + std::to_string(rng() % 12);
      if (rng() % 4 == 0) {
        b.Delete(key);
        next.erase(key);
      } else {
        std::string value = std::to_string(i) + "-" + std::string(rng() % 200, 'x');
        b.Put(key, value);
        next[key] = value;
      }
    }
    w.batches.push_back(std::move(b));
    w.states.push_back(std::move(next));
  }
  return w;
}

Options CrashOptions(Env* env) {
  Options o = testing::TestOptions(env);
  o.wal_segment_bytes = 1500;  // rotate often
  return o;
}

// Runs the workload until the first failure; returns the number acknowledged.
size_t RunUntilCrash(Engine* engine, const Workload& w) {
  size_t acked = 0;
  for (size_t i = 0; i < w.batches.size(); ++i) {
    if (i % 9 == 8) {
      Status ignored = engine->Checkpoint();  // may fail at the kill point
      (void)ignored;
    }
    if (!engine->Commit(w.batches[i]).ok()) break;
    acked = i + 1;
  }
  return acked;
}

class CrashTest : public ::testing::TestWithParam<bool> {};

TEST_P(CrashTest, EveryAcknowledgedBatchSurvivesEveryKillPoint) {
  const bool torn = GetParam();
  const Workload w = MakeWorkload(torn ? 11 : 7, 40);

  // Count the mutations of a clean run to know every kill point.
  int64_t total_ops = 0;
  {
    nokv::testing::TempDir dir(nokv::testing::TempDir::InMemoryBase());
    FaultInjectionEnv env(Env::Default());
    auto engine = Engine::Open(dir.path(), CrashOptions(&env));
    ASSERT_TRUE(engine.ok());
    int64_t before = env.mutating_ops();
    ASSERT_EQ(RunUntilCrash(engine->get(), w), w.batches.size());
    total_ops = env.mutating_ops() - before;
  }
  ASSERT_GT(total_ops, 100);

  for (int64_t budget = 0; budget <= total_ops; ++budget) {
    SCOPED_TRACE("kill after " + std::to_string(budget) + " mutations");
    nokv::testing::TempDir dir(nokv::testing::TempDir::InMemoryBase());
    FaultInjectionEnv env(Env::Default());
    size_t acked = 0;
    {
      auto engine = Engine::Open(dir.path(), CrashOptions(&env));
      ASSERT_TRUE(engine.ok());
      env.CrashAfter(budget);
      acked = RunUntilCrash(engine->get(), w);
    }
    ASSERT_TRUE(env.SimulateCrash(torn ? std::optional<uint32_t>(budget) : std::nullopt).ok());
    auto engine = Engine::Open(dir.path(), CrashOptions(&env));
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    uint64_t recovered = (*engine)->visible_seq();
    ASSERT_GE(recovered, acked);
    ASSERT_LE(recovered, std::min(acked + 1, w.batches.size()));
    ASSERT_EQ(Dump(**engine), w.states[recovered]);
    // The engine keeps working after recovery.
    Batch more;
    more.Put("after-crash", "ok");
    ASSERT_TRUE((*engine)->Commit(more).ok());
  }
}

INSTANTIATE_TEST_SUITE_P(DropAndTorn, CrashTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Torn" : "Dropped"; });

TEST(CrashTest, ShortWriteFailsTheCommitAndLaterCommitsUntilReopen) {
  nokv::testing::TempDir dir(nokv::testing::TempDir::InMemoryBase());
  FaultInjectionEnv env(Env::Default());
  {
    auto engine = Engine::Open(dir.path(), testing::TestOptions(&env));
    ASSERT_TRUE(engine.ok());
    testing::Put(**engine, "a", "1");
    env.ShortWriteNext();
    Batch b;
    b.Put("b", "2");
    EXPECT_FALSE((*engine)->Commit(b).ok());
    EXPECT_EQ((*engine)->Get("b").status().code(), Code::kNotFound);  // never visible
    Batch c;
    c.Put("c", "3");
    auto r = (*engine)->Commit(c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kIOError);
  }
  ASSERT_TRUE(env.SimulateCrash().ok());
  auto engine = Engine::Open(dir.path(), testing::TestOptions(&env));
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  EXPECT_EQ(Dump(**engine), (State{{"a", "1"}}));
}

// Only a predicate that did not hold carries Reason::kPredicateFailed;
// callers retry on it, so a stopped engine must not look like one.
TEST(CrashTest, StoppedEngineFailuresAreNotPredicateFailures) {
  nokv::testing::TempDir dir(nokv::testing::TempDir::InMemoryBase());
  FaultInjectionEnv env(Env::Default());
  auto engine = Engine::Open(dir.path(), testing::TestOptions(&env));
  ASSERT_TRUE(engine.ok());
  testing::Put(**engine, "a", "1");
  Batch conflict;
  conflict.RequireNotExists("a");
  auto failed = (*engine)->Commit(conflict);
  ASSERT_EQ(failed.status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(failed.status().Is(Reason::kPredicateFailed));

  env.ShortWriteNext();
  Batch b;
  b.Put("b", "2");
  auto write_failed = (*engine)->Commit(b);
  ASSERT_FALSE(write_failed.ok());
  EXPECT_FALSE(write_failed.status().Is(Reason::kPredicateFailed));
  Status checkpoint = (*engine)->Checkpoint();
  EXPECT_EQ(checkpoint.code(), Code::kFailedPrecondition);
  EXPECT_EQ(checkpoint.reason(), Reason::kNone);
  // Even a batch whose predicate would fail reports the stop, not the predicate.
  auto after = (*engine)->Commit(conflict);
  ASSERT_FALSE(after.ok());
  EXPECT_FALSE(after.status().Is(Reason::kPredicateFailed));
}

// Forwards to the default Env; once armed, the next WritableFile::Sync
// reports that it started, waits until Release(), then fails. Lets a test
// hold a commit leader between its WAL write and its sync.
class GatedSyncEnv final : public EnvWrapper {
 public:
  GatedSyncEnv() : EnvWrapper(Env::Default()) {}
  void Arm() {
    std::lock_guard lock(mu_);
    armed_ = true;
  }
  void WaitUntilSyncBlocked() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return blocked_; });
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    NOKV_ASSIGN_OR_RETURN(auto file, EnvWrapper::NewWritableFile(path));
    return std::unique_ptr<WritableFile>(new File(this, std::move(file)));
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    NOKV_ASSIGN_OR_RETURN(auto file, EnvWrapper::NewAppendableFile(path));
    return std::unique_ptr<WritableFile>(new File(this, std::move(file)));
  }

 private:
  class File final : public WritableFile {
   public:
    File(GatedSyncEnv* env, std::unique_ptr<WritableFile> base)
        : env_(env), base_(std::move(base)) {}
    Status Append(std::string_view data) override { return base_->Append(data); }
    Status Sync() override {
      if (env_->TakeGate()) return Status::IOError("gated sync failed");
      return base_->Sync();
    }
    Status Close() override { return base_->Close(); }
    uint64_t Size() const override { return base_->Size(); }

   private:
    GatedSyncEnv* env_;
    std::unique_ptr<WritableFile> base_;
  };

  // True (after waiting for Release) when this sync is the gated one.
  bool TakeGate() {
    std::unique_lock lock(mu_);
    if (!armed_) return false;
    armed_ = false;
    blocked_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_; });
    return true;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;     // guarded by mu_
  bool blocked_ = false;   // guarded by mu_
  bool released_ = false;  // guarded by mu_
};

// A checkpoint that rotates the WAL right after a group was written but
// before it became visible waits for it; when that group's sync fails
// instead, the checkpoint is woken and reports the stop rather than writing
// an image of a state that never became visible.
TEST(CrashTest, CheckpointWaitingForAGroupWhoseSyncFailsReportsTheStop) {
  nokv::testing::TempDir dir(nokv::testing::TempDir::InMemoryBase());
  GatedSyncEnv env;
  auto engine = Engine::Open(dir.path(), testing::TestOptions(&env));
  ASSERT_TRUE(engine.ok());
  testing::Put(**engine, "a", "1");
  env.Arm();
  std::thread writer([&] {
    Batch b;
    b.Put("b", "2");
    EXPECT_FALSE((*engine)->Commit(b).ok());
  });
  env.WaitUntilSyncBlocked();  // "b" is written to the WAL, not yet visible
  Status checkpoint;
  std::thread checkpointer([&] { checkpoint = (*engine)->Checkpoint(); });
  env.Release();
  writer.join();
  checkpointer.join();
  EXPECT_EQ(checkpoint.code(), Code::kFailedPrecondition) << checkpoint.ToString();
  EXPECT_EQ((*engine)->GetStats().checkpoints, 0u);
  EXPECT_EQ((*engine)->Get("b").status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace nokv::holt
