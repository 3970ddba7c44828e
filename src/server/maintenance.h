// Maintenance: the background jobs of the process that holds a data
// directory (`nokv serve`), run over its metadata seam:
//
//   gc          CollectGarbage: unreferenced blocks, then the orphan sweep
//               (uploads older than the service's grace period and every
//               live upload lease), plus everything `retention` does
//   retention   ExpireAndPrune: expired snapshots retired, watch events and
//               dedupe records past retention pruned (no block work)
//   backup      a metadata backup (fs/backup.h) with its retention; off
//               unless backup_interval is set (`nokv serve --backup-interval`)
//   scrub       `fsck --verify` without repair, rate-limited; findings are
//               logged and counted (off unless scrub_interval is set)
//   checkpoint  a metadata checkpoint when the server has been idle for a
//               whole interval and the WAL holds commits the image lacks.
//               The engine's own policy (docs/holt.md#checkpoint-policy)
//               already checkpoints a WAL that grew past its bound, busy or
//               idle; this job only folds a small WAL into the image once
//               writes stop, so a restart replays nothing.
//
// Watch retention bounds are the metadata service's (MetaOptions, set when
// the data directory is opened: EmbeddedOptions::watch_retention_*), so every
// run - this worker's, `POST /gc`, `nokv gc` through the server - applies the
// same ones.
//
// One worker thread runs the jobs one at a time, each every interval (the
// first run one interval after Start). A failing job is logged, counted and
// tried again at its next interval; it never stops the worker.
//
// Thread-safety: Start and Stop from one thread (the owner); RunOnce, Wake
// and Stats from any. Stop returns as soon as the job in progress (if any)
// finishes: the wait between jobs is a condition variable.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "fs/metadata.h"

namespace nokv::server {

enum class MaintenanceJob : uint8_t { kGc, kRetention, kCheckpoint, kBackup, kScrub };
inline constexpr size_t kMaintenanceJobs = 5;
inline constexpr std::array<MaintenanceJob, kMaintenanceJobs> kMaintenanceJobList = {
    MaintenanceJob::kGc, MaintenanceJob::kRetention, MaintenanceJob::kCheckpoint,
    MaintenanceJob::kBackup, MaintenanceJob::kScrub};
// "gc", "retention", "checkpoint", "backup", "scrub" (metric labels, log lines).
const char* MaintenanceJobName(MaintenanceJob job);

struct MaintenanceOptions {
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // How often each job runs; zero turns it off.
  std::chrono::milliseconds gc_interval = std::chrono::minutes(10);
  std::chrono::milliseconds retention_interval = std::chrono::minutes(1);
  std::chrono::milliseconds checkpoint_interval = std::chrono::minutes(10);
  // Metadata backups (fs/backup.h): off unless set; where and how many are
  // kept are `backup`'s to and keep.
  std::chrono::milliseconds backup_interval{0};
  fs::BackupOptions backup;
  // The scrub (`fsck --verify`, no repair): every block read and checked
  // against its content address, at most scrub_rate bytes per second (0:
  // unlimited). Off unless set.
  std::chrono::milliseconds scrub_interval{0};
  uint64_t scrub_rate_bytes_per_sec = 0;
  // Decides when jobs are due; empty: std::chrono::steady_clock::now. A
  // test that moves its clock calls Wake() so the worker looks again.
  Clock now;
  // Test hook: called after each job's run, once its next run is scheduled
  // (on the worker thread; for RunOnce on its caller), outside every lock.
  std::function<void(MaintenanceJob)> after_job;
};

// One job's record. `last_*` describe its latest run; totals add up every
// successful run.
struct JobStats {
  uint64_t runs = 0;
  uint64_t failures = 0;
  std::chrono::nanoseconds last_duration{0};
  std::string last_error;      // "" when the latest run succeeded
  meta::GcReport last_report;  // gc, retention: the latest successful run
  meta::GcReport totals;       // gc, retention: summed over successful runs
  uint64_t checkpoints = 0;    // checkpoint: images written
  std::string last_backup;     // backup: the id of the latest one taken
  // scrub: blocks read and found intact, and findings, in the latest run
  // (the findings are logged).
  uint64_t scrub_blocks_verified = 0;
  uint64_t scrub_findings = 0;
};

struct MaintenanceStats {
  std::array<JobStats, kMaintenanceJobs> jobs;  // indexed by MaintenanceJob
  const JobStats& job(MaintenanceJob which) const { return jobs[static_cast<size_t>(which)]; }
};

class Maintenance {
 public:
  // `metadata` must outlive this object.
  Maintenance(fs::Metadata* metadata, MaintenanceOptions options);
  ~Maintenance();  // Stop()
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

  // Starts the worker thread (once; later calls do nothing). With every
  // interval zero no thread is started.
  void Start();
  // Stops the worker: a job in progress finishes, none starts after.
  void Stop();
  // Runs every job whose interval is not zero once, now, on the calling
  // thread (serialized with the worker's runs).
  void RunOnce();
  // Makes the worker look at its clock again (after a test moved it).
  void Wake();

  MaintenanceStats Stats() const;

 private:
  using TimePoint = std::chrono::steady_clock::time_point;

  TimePoint Now() const;
  std::chrono::milliseconds IntervalOf(MaintenanceJob job) const;
  // `due`: when each job runs first (max: never).
  void Loop(std::array<TimePoint, kMaintenanceJobs> due);
  // Runs one job and records its outcome (serialized by run_mu_).
  void Run(MaintenanceJob job);
  // Whether it wrote a checkpoint. Under run_mu_.
  Result<bool> CheckpointIfIdle();

  fs::Metadata* const metadata_;
  const MaintenanceOptions options_;

  std::mutex run_mu_;              // one job at a time (worker or RunOnce)
  uint64_t seen_visible_seq_ = 0;  // guarded by run_mu_: at the last checkpoint job

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;       // guarded by mu_
  bool woken_ = false;      // guarded by mu_
  MaintenanceStats stats_;  // guarded by mu_
  std::thread worker_;
};

}  // namespace nokv::server
