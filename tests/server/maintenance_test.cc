// The server's background jobs over a real metadata service: what each job
// does, when the worker runs it (an injected clock), that a failing job is
// retried at its next interval, that Stop interrupts the wait, and that watch
// retention set at open prunes with a typed error for a cursor that fell off.
#include "server/maintenance.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "fs/embedded.h"
#include "fs/local_metadata.h"
#include "memory_fs.h"
#include "object/memory_store.h"
#include "test_dir.h"

namespace nokv::server {
namespace {

using std::chrono::minutes;
using TimePoint = std::chrono::steady_clock::time_point;

// A clock the test moves by hand.
class ManualClock {
 public:
  TimePoint Now() const { return TimePoint(std::chrono::nanoseconds(nanos_.load())); }
  void Advance(std::chrono::nanoseconds by) { nanos_.fetch_add(by.count()); }
  MaintenanceOptions::Clock AsClock() {
    return [this] { return Now(); };
  }

 private:
  std::atomic<int64_t> nanos_{std::chrono::nanoseconds(std::chrono::hours(1)).count()};
};

// Counts finished runs per job; a test waits for a count.
class RunCounter {
 public:
  std::function<void(MaintenanceJob)> Hook() {
    return [this](MaintenanceJob job) {
      std::lock_guard lock(mu_);
      runs_[static_cast<size_t>(job)]++;
      cv_.notify_all();
    };
  }
  void WaitFor(MaintenanceJob job, uint64_t runs) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return runs_[static_cast<size_t>(job)] >= runs; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::array<uint64_t, kMaintenanceJobs> runs_{};
};

// Fault injection: a memory store whose listing fails on demand (the orphan
// sweep lists, so a collection run fails).
class ListFailingStore final : public object::ObjectStore {
 public:
  using ObjectStore::Put;
  Status Put(std::string_view key, std::string_view body,
             const object::PutOptions& options) override {
    return inner_.Put(key, body, options);
  }
  Result<std::string> Get(std::string_view key) override { return inner_.Get(key); }
  Result<std::string> GetRange(std::string_view key, object::ByteRange range) override {
    return inner_.GetRange(key, range);
  }
  Result<object::ObjectInfo> Head(std::string_view key) override { return inner_.Head(key); }
  Status Delete(std::string_view key) override { return inner_.Delete(key); }
  Result<object::ListResult> List(const object::ListOptions& options) override {
    if (fail.load()) return Status::IOError("injected listing failure");
    return inner_.List(options);
  }
  std::string Describe() const override { return "list-failing memory"; }

  std::atomic<bool> fail{false};

 private:
  object::MemoryStore inner_;
};

Status WriteFile(fs::Filesystem* fs, const std::string& path, std::string_view bytes) {
  NOKV_ASSIGN_OR_RETURN(auto writer, fs->OpenWriter(path, {}));
  NOKV_RETURN_IF_ERROR(writer->Append(bytes));
  return writer->Commit().status();
}

class MaintenanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenMemoryFs(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    fs_ = std::move(opened).value();
  }

  nokv::testing::TempDir dir_;
  std::unique_ptr<fs::Filesystem> fs_;
};

TEST_F(MaintenanceTest, RunOnceCollectsBlocksAndRetiresExpiredSnapshots) {
  ASSERT_TRUE(WriteFile(fs_.get(), "/gone", std::string(1000, 'g')).ok());
  ASSERT_TRUE(fs_->Remove("/gone", false).ok());
  ASSERT_TRUE(fs_->CreateSnapshot("lapsed", "/", /*expires_ns=*/1).ok());
  MaintenanceOptions options;
  options.checkpoint_interval = minutes(0);
  Maintenance maintenance(fs_->metadata(), options);
  maintenance.RunOnce();

  MaintenanceStats stats = maintenance.Stats();
  const JobStats& gc = stats.job(MaintenanceJob::kGc);
  const JobStats& retention = stats.job(MaintenanceJob::kRetention);
  EXPECT_EQ(gc.runs, 1u);
  EXPECT_EQ(gc.failures, 0u);
  EXPECT_EQ(gc.last_error, "");
  EXPECT_GT(gc.last_report.blocks_deleted, 0u);
  EXPECT_EQ(gc.totals.blocks_deleted, gc.last_report.blocks_deleted);
  EXPECT_EQ(retention.runs, 1u);
  EXPECT_EQ(retention.last_report.blocks_deleted, 0u);  // no block work
  // Whichever job ran first retired it, once.
  EXPECT_EQ(gc.totals.snapshots_expired + retention.totals.snapshots_expired, 1u);
  EXPECT_TRUE(fs_->ListSnapshots()->empty());
  EXPECT_EQ(stats.job(MaintenanceJob::kCheckpoint).runs, 0u);  // turned off
}

TEST_F(MaintenanceTest, TheWorkerRunsEachJobWhenItsIntervalPasses) {
  ManualClock clock;
  RunCounter counter;
  MaintenanceOptions options;
  options.gc_interval = minutes(10);
  options.retention_interval = minutes(1);
  options.checkpoint_interval = minutes(0);
  options.now = clock.AsClock();
  options.after_job = counter.Hook();
  Maintenance maintenance(fs_->metadata(), options);
  maintenance.Start();

  clock.Advance(minutes(1));
  maintenance.Wake();
  counter.WaitFor(MaintenanceJob::kRetention, 1);
  EXPECT_EQ(maintenance.Stats().job(MaintenanceJob::kGc).runs, 0u);

  clock.Advance(minutes(9));
  maintenance.Wake();
  counter.WaitFor(MaintenanceJob::kGc, 1);
  counter.WaitFor(MaintenanceJob::kRetention, 2);
  maintenance.Stop();
  MaintenanceStats stats = maintenance.Stats();
  EXPECT_EQ(stats.job(MaintenanceJob::kGc).runs, 1u);
  EXPECT_EQ(stats.job(MaintenanceJob::kRetention).runs, 2u);
  EXPECT_EQ(stats.job(MaintenanceJob::kCheckpoint).runs, 0u);
}

TEST_F(MaintenanceTest, StopInterruptsTheWaitForTheNextJob) {
  ManualClock clock;
  RunCounter counter;
  MaintenanceOptions options;
  options.gc_interval = std::chrono::hours(1);
  options.retention_interval = std::chrono::hours(1);
  options.checkpoint_interval = minutes(0);
  options.now = clock.AsClock();
  options.after_job = counter.Hook();
  Maintenance maintenance(fs_->metadata(), options);
  maintenance.Start();
  clock.Advance(std::chrono::hours(1));
  maintenance.Wake();
  counter.WaitFor(MaintenanceJob::kRetention, 1);
  counter.WaitFor(MaintenanceJob::kGc, 1);
  // The worker now waits an hour (the clock stands still) for the next runs.
  auto begun = std::chrono::steady_clock::now();
  maintenance.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begun, std::chrono::seconds(30));
  EXPECT_EQ(maintenance.Stats().job(MaintenanceJob::kGc).runs, 1u);
}

TEST(MaintenanceFailureTest, AFailingJobIsCountedAndRetriedAtItsNextInterval) {
  nokv::testing::TempDir dir;
  ListFailingStore store;
  auto metadata = fs::LocalMetadata::Open(dir.path(), meta::MetaOptions{}, &store, 1);
  ASSERT_TRUE(metadata.ok()) << metadata.status().ToString();
  ManualClock clock;
  RunCounter counter;
  MaintenanceOptions options;
  options.gc_interval = minutes(10);
  options.retention_interval = minutes(0);
  options.checkpoint_interval = minutes(0);
  options.now = clock.AsClock();
  options.after_job = counter.Hook();
  Maintenance maintenance(metadata->get(), options);
  maintenance.Start();

  store.fail = true;
  clock.Advance(minutes(10));
  maintenance.Wake();
  counter.WaitFor(MaintenanceJob::kGc, 1);
  JobStats gc = maintenance.Stats().job(MaintenanceJob::kGc);
  EXPECT_EQ(gc.runs, 1u);
  EXPECT_EQ(gc.failures, 1u);
  EXPECT_NE(gc.last_error, "");

  store.fail = false;
  clock.Advance(minutes(10));
  maintenance.Wake();
  counter.WaitFor(MaintenanceJob::kGc, 2);
  maintenance.Stop();
  gc = maintenance.Stats().job(MaintenanceJob::kGc);
  EXPECT_EQ(gc.runs, 2u);
  EXPECT_EQ(gc.failures, 1u);
  EXPECT_EQ(gc.last_error, "");
}

TEST_F(MaintenanceTest, CheckpointsOnlyAnIdleServerWhoseWalIsAheadOfTheImage) {
  MaintenanceOptions options;
  options.gc_interval = minutes(0);
  options.retention_interval = minutes(0);
  Maintenance maintenance(fs_->metadata(), options);
  auto checkpoints = [&] {
    return maintenance.Stats().job(MaintenanceJob::kCheckpoint).checkpoints;
  };
  ASSERT_TRUE(fs_->Mkdir("/a", false).ok());
  maintenance.RunOnce();  // first look: commits happened since (before) it
  EXPECT_EQ(checkpoints(), 0u);
  maintenance.RunOnce();  // idle for an interval, image behind
  EXPECT_EQ(checkpoints(), 1u);
  auto stats = fs_->metadata()->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->checkpoint_seq, stats->visible_seq);
  EXPECT_EQ(stats->wal_since_checkpoint_bytes, 0u);
  maintenance.RunOnce();  // idle, image current: nothing to do
  EXPECT_EQ(checkpoints(), 1u);
  ASSERT_TRUE(fs_->Mkdir("/b", false).ok());
  maintenance.RunOnce();  // busy since the last look
  EXPECT_EQ(checkpoints(), 1u);
  maintenance.RunOnce();
  EXPECT_EQ(checkpoints(), 2u);
  EXPECT_EQ(maintenance.Stats().job(MaintenanceJob::kCheckpoint).runs, 5u);
}

TEST(MaintenanceRetentionTest, RetentionSetAtOpenPrunesAndAFallenOffCursorIsExpired) {
  nokv::testing::TempDir dir;
  fs::EmbeddedOptions open;
  open.data_dir = dir.path();
  open.store.kind = fs::StoreConfig::Kind::kMemory;
  open.create_if_missing = true;
  open.watch_retention_events = 2;
  auto fs = fs::OpenEmbedded(open);
  ASSERT_TRUE(fs.ok()) << fs.status().ToString();
  for (const char* path : {"/a", "/b", "/c", "/d", "/e"}) {
    ASSERT_TRUE((*fs)->Mkdir(path, false).ok());
  }
  auto first = (*fs)->Watch("/", "", 1, std::chrono::milliseconds(0));
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->events.size(), 1u);

  MaintenanceOptions options;
  options.gc_interval = minutes(0);
  options.checkpoint_interval = minutes(0);
  Maintenance maintenance((*fs)->metadata(), options);
  maintenance.RunOnce();
  EXPECT_EQ(maintenance.Stats().job(MaintenanceJob::kRetention).last_report.events_pruned, 3u);

  auto stale = (*fs)->Watch("/", first->next_cursor, 10, std::chrono::milliseconds(0));
  EXPECT_EQ(stale.status().code(), Code::kExpired);
  auto restart = (*fs)->Watch("/", "", 10, std::chrono::milliseconds(0));
  ASSERT_TRUE(restart.ok());
  ASSERT_EQ(restart->events.size(), 2u);
  EXPECT_EQ(restart->events[0].path, "/d");
}

}  // namespace
}  // namespace nokv::server
