// Maintenance: the worker loop (due times on the injected clock, waits on a
// condition variable) and the three jobs.
#include "server/maintenance.h"

#include <algorithm>
#include <optional>

#include "common/logging.h"

namespace nokv::server {
namespace {

constexpr const auto& kJobs = kMaintenanceJobList;

size_t Index(MaintenanceJob job) { return static_cast<size_t>(job); }

void Add(meta::GcReport* to, const meta::GcReport& r) {
  to->blocks_deleted += r.blocks_deleted;
  to->blocks_waiting_for_snapshots += r.blocks_waiting_for_snapshots;
  to->claims_resumed += r.claims_resumed;
  to->stale_hints_dropped += r.stale_hints_dropped;
  to->collected_markers_pruned += r.collected_markers_pruned;
  to->orphans_deleted += r.orphans_deleted;
  to->events_pruned += r.events_pruned;
  to->dedupe_pruned += r.dedupe_pruned;
  to->snapshots_expired += r.snapshots_expired;
}

}  // namespace

const char* MaintenanceJobName(MaintenanceJob job) {
  switch (job) {
    case MaintenanceJob::kGc:
      return "gc";
    case MaintenanceJob::kRetention:
      return "retention";
    case MaintenanceJob::kCheckpoint:
      return "checkpoint";
    case MaintenanceJob::kBackup:
      return "backup";
    case MaintenanceJob::kScrub:
      return "scrub";
  }
  return "unknown";
}

Maintenance::Maintenance(fs::Metadata* metadata, MaintenanceOptions options)
    : metadata_(metadata), options_(std::move(options)) {}

Maintenance::~Maintenance() { Stop(); }

Maintenance::TimePoint Maintenance::Now() const {
  return options_.now ? options_.now() : std::chrono::steady_clock::now();
}

std::chrono::milliseconds Maintenance::IntervalOf(MaintenanceJob job) const {
  switch (job) {
    case MaintenanceJob::kGc:
      return options_.gc_interval;
    case MaintenanceJob::kRetention:
      return options_.retention_interval;
    case MaintenanceJob::kCheckpoint:
      return options_.checkpoint_interval;
    case MaintenanceJob::kBackup:
      return options_.backup_interval;
    case MaintenanceJob::kScrub:
      return options_.scrub_interval;
  }
  return std::chrono::milliseconds(0);
}

void Maintenance::Start() {
  if (worker_.joinable()) return;
  bool any = std::any_of(kJobs.begin(), kJobs.end(),
                         [this](MaintenanceJob job) { return IntervalOf(job).count() > 0; });
  if (!any) return;
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  // Due times are taken here, not on the worker, so the first interval
  // counts from Start whatever the clock does before the thread runs.
  std::array<TimePoint, kMaintenanceJobs> due;
  TimePoint start = Now();
  for (MaintenanceJob job : kJobs) {
    auto interval = IntervalOf(job);
    due[Index(job)] = interval.count() > 0 ? start + interval : TimePoint::max();
  }
  worker_ = std::thread([this, due] { Loop(due); });
}

void Maintenance::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void Maintenance::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Maintenance::RunOnce() {
  for (MaintenanceJob job : kJobs) {
    if (IntervalOf(job).count() == 0) continue;
    Run(job);
    if (options_.after_job) options_.after_job(job);
  }
}

MaintenanceStats Maintenance::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Maintenance::Loop(std::array<TimePoint, kMaintenanceJobs> due) {
  std::unique_lock lock(mu_);
  while (!stop_) {
    size_t next = static_cast<size_t>(std::min_element(due.begin(), due.end()) - due.begin());
    TimePoint now = Now();
    if (due[next] <= now) {
      lock.unlock();
      Run(kJobs[next]);
      due[next] = Now() + IntervalOf(kJobs[next]);  // from the end of the run
      if (options_.after_job) options_.after_job(kJobs[next]);
      lock.lock();
      continue;
    }
    // The wait is measured on the real clock; an injected clock that jumps
    // comes with a Wake().
    cv_.wait_for(lock, due[next] - now, [this] { return stop_ || woken_; });
    woken_ = false;
  }
}

void Maintenance::Run(MaintenanceJob job) {
  Status status;
  meta::GcReport report;
  bool checkpointed = false;
  std::string backup_id;
  std::optional<meta::FsckReport> scrubbed;
  auto started = std::chrono::steady_clock::now();
  {
    std::lock_guard run(run_mu_);
    switch (job) {
      case MaintenanceJob::kGc: {
        auto collected = metadata_->CollectGarbage();
        status = collected.status();
        if (collected.ok()) report = *collected;
        break;
      }
      case MaintenanceJob::kRetention: {
        auto pruned = metadata_->ExpireAndPrune();
        status = pruned.status();
        if (pruned.ok()) report = *pruned;
        break;
      }
      case MaintenanceJob::kCheckpoint: {
        auto wrote = CheckpointIfIdle();
        status = wrote.status();
        checkpointed = wrote.ok() && *wrote;
        break;
      }
      case MaintenanceJob::kBackup: {
        auto backup = metadata_->Backup(options_.backup);
        status = backup.status();
        if (backup.ok()) backup_id = backup->backup.id;
        break;
      }
      case MaintenanceJob::kScrub: {
        meta::FsckOptions fsck;
        fsck.verify = true;
        fsck.rate_bytes_per_sec = options_.scrub_rate_bytes_per_sec;
        auto report = metadata_->Fsck(fsck);
        status = report.status();
        if (report.ok()) scrubbed = std::move(report).value();
        break;
      }
    }
  }
  auto took = std::chrono::steady_clock::now() - started;
  if (scrubbed) {
    for (const auto& f : scrubbed->findings) {
      NOKV_LOG(kWarn) << "scrub: " << meta::FsckKindName(f.kind) << " " << f.subject << ": "
                      << f.detail;
    }
  }
  if (!status.ok()) {
    NOKV_LOG(kWarn) << "maintenance " << MaintenanceJobName(job)
                    << " failed (retried next interval): " << status.ToString();
  }
  {
    std::lock_guard lock(mu_);
    JobStats& s = stats_.jobs[Index(job)];
    s.runs++;
    s.last_duration = std::chrono::duration_cast<std::chrono::nanoseconds>(took);
    if (status.ok()) {
      s.last_error.clear();
      s.last_report = report;
      Add(&s.totals, report);
      if (checkpointed) s.checkpoints++;
      if (!backup_id.empty()) s.last_backup = backup_id;
      if (scrubbed) {
        s.scrub_blocks_verified = scrubbed->blocks_verified;
        s.scrub_findings = scrubbed->findings.size();
      }
    } else {
      s.failures++;
      s.last_error = status.ToString();
    }
  }
}

// Idle: no commit since the previous run of this job. Then, when the WAL
// holds commits past the image, fold them in.
Result<bool> Maintenance::CheckpointIfIdle() {
  NOKV_ASSIGN_OR_RETURN(fs::MetadataStats stats, metadata_->Stats());
  bool idle = stats.visible_seq == seen_visible_seq_;
  seen_visible_seq_ = stats.visible_seq;
  if (!idle || stats.checkpoint_seq >= stats.visible_seq) return false;
  NOKV_RETURN_IF_ERROR(metadata_->Checkpoint());
  return true;
}

}  // namespace nokv::server
