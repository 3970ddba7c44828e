// Engine lifetime: open and recovery, background work, shutdown, stats.
#include "holt/engine.h"

#include <algorithm>

#include "common/logging.h"
#include "holt/log_format.h"
#include "holt/reserve.h"
#include "holt/versions.h"

namespace nokv::holt {

Engine::Engine(std::string dir, const Options& options)
    : dir_(std::move(dir)),
      options_(options),
      env_(options.env != nullptr ? options.env : Env::Default()),
      wal_(env_, dir_) {}

namespace {

Status CheckSizeLimit(size_t value, const char* name) {
  if (value > 0 && value <= kMaxBatchBytesLimit) return Status::Ok();
  return Status::InvalidArgument(std::string("Options::") + name + " = " + std::to_string(value) +
                                 " is outside 1.." + std::to_string(kMaxBatchBytesLimit));
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::Open(const std::string& dir, const Options& options) {
  NOKV_RETURN_IF_ERROR(CheckSizeLimit(options.max_batch_bytes, "max_batch_bytes"));
  NOKV_RETURN_IF_ERROR(CheckSizeLimit(options.checkpoint_chunk_bytes, "checkpoint_chunk_bytes"));
  std::unique_ptr<Engine> engine(new Engine(dir, options));
  Status s = engine->Recover();
  if (!s.ok()) return s;
  if (!options.read_only && options.reserve_bytes > 0) {
    if (options.release_reserve) {
      NOKV_RETURN_IF_ERROR(ReleaseReserve(engine->env_, dir));
    } else {
      engine->KeepReserve();
    }
  }
  engine->opened_ = true;
  if (options.background_work) {
    engine->bg_thread_ = std::thread([e = engine.get()] { e->BackgroundLoop(); });
  }
  if (options.durability == Durability::kGroup && !options.read_only) {
    engine->sync_thread_ = std::thread([e = engine.get()] { e->SyncLoop(); });
  }
  return engine;
}

Status Engine::TakeLock() {
  std::string lock_path = JoinPath(dir_, "LOCK");
  if (!options_.read_only) {
    NOKV_RETURN_IF_ERROR(env_->CreateDirs(dir_));
    NOKV_ASSIGN_OR_RETURN(lock_, env_->LockFile(lock_path));
    return Status::Ok();
  }
  if (!env_->FileExists(lock_path)) {
    return Status::NotFound(dir_ + " holds no engine (no LOCK file) to open read-only");
  }
  NOKV_ASSIGN_OR_RETURN(lock_, env_->LockFileShared(lock_path));
  return Status::Ok();
}

Status Engine::Recover() {
  NOKV_RETURN_IF_ERROR(TakeLock());
  std::string current_path = JoinPath(dir_, "CURRENT");
  if (env_->FileExists(current_path)) {
    std::string current;
    NOKV_RETURN_IF_ERROR(env_->ReadFileToString(current_path, &current));
    while (!current.empty() && (current.back() == '\n' || current.back() == '\r')) {
      current.pop_back();
    }
    if (!IsCheckpointName(current)) {
      return Status::Corruption(current_path +
                                " is damaged: it must name a checkpoint image "
                                "(checkpoint-<16 hex digits>.holt)");
    }
    NOKV_RETURN_IF_ERROR(LoadCheckpointImage(current));
    if (auto attrs = env_->GetFileAttributes(JoinPath(dir_, current)); attrs.ok()) {
      image_bytes_ = attrs->size;
      image_unix_ns_ = attrs->mtime_ns;
    }
  }

  std::vector<uint64_t> pins;
  for (const auto& [name, seq] : durable_pins_) pins.push_back(seq);
  std::sort(pins.begin(), pins.end());
  WalReplayStats replay;
  NOKV_RETURN_IF_ERROR(ReplayWal(
      env_, dir_, last_seq_, /*repair=*/!options_.read_only,
      [&](uint64_t seq, const Batch& batch) {
        ApplyBatch(seq, batch, &pins);
        last_seq_ = seq;
        return Status::Ok();
      },
      &replay));
  open_replay_ = replay;
  visible_seq_.store(last_seq_);
  CollectPendingTombstones(PinSnapshot());
  prune_floor_ = last_seq_;
  if (replay.records > 0) {
    NOKV_LOG(kInfo) << "holt " << dir_ << ": replayed " << replay.records << " WAL records from "
                    << replay.segments << " segments up to sequence " << last_seq_;
  }
  NOKV_ASSIGN_OR_RETURN(auto segments, ListWalSegments(env_, dir_));
  uint64_t bytes = 0;
  for (const auto& segment : segments) {
    if (auto size = env_->GetFileSize(JoinPath(dir_, segment.name)); size.ok()) bytes += *size;
  }
  wal_bytes_.store(bytes);
  wal_segments_.store(segments.size());
  // Everything replayed is WAL the next image would absorb.
  wal_since_checkpoint_.store(replay.file_bytes);
  if (options_.read_only) return Status::Ok();
  return OpenWalForAppend(replay);
}

// Appends to the newest segment when replay verified it, so that a process
// that opens, commits a little and exits adds records, not a segment file.
Status Engine::OpenWalForAppend(const WalReplayStats& replay) {
  std::lock_guard wal(wal_mu_);
  wal_written_seq_ = last_seq_;
  if (replay.resumable_first_seq && *replay.resumable_first_seq <= last_seq_ + 1) {
    return wal_.ResumeSegment(*replay.resumable_first_seq);
  }
  NOKV_RETURN_IF_ERROR(wal_.StartSegment(last_seq_ + 1));
  NOKV_ASSIGN_OR_RETURN(auto segments, ListWalSegments(env_, dir_));
  wal_segments_.store(segments.size());
  wal_bytes_.fetch_add(kFileHeaderSize);
  return Status::Ok();
}

bool Engine::CheckpointDue() const {
  if (options_.read_only || options_.checkpoint_wal_bytes == 0 || failed_.load()) return false;
  uint64_t threshold =
      std::min(options_.checkpoint_wal_bytes,
               std::max(options_.checkpoint_min_wal_bytes, image_bytes_.load() / 2));
  if (wal_since_checkpoint_.load() >= threshold) return true;
  return wal_segments_.load() > options_.checkpoint_max_wal_segments;
}

// A CLI process lives for milliseconds; the background thread would never
// get to a checkpoint, so the process that leaves the WAL over the policy's
// bound writes it on its way out.
void Engine::CheckpointAtClose() {
  if (!CheckpointDue()) return;
  Status s = Checkpoint();
  if (!s.ok()) NOKV_LOG(kWarn) << "holt " << dir_ << ": checkpoint at close: " << s.ToString();
}

Engine::~Engine() {
  {
    std::lock_guard bg(bg_mu_);
    bg_stop_ = true;
  }
  bg_cv_.notify_all();
  if (bg_thread_.joinable()) bg_thread_.join();
  if (sync_thread_.joinable()) sync_thread_.join();
  if (opened_ && !options_.read_only) {
    CheckpointAtClose();
    if (options_.reserve_bytes > 0) KeepReserve();
  }
  {
    std::lock_guard wal(wal_mu_);
    if (!failed_.load()) {
      Status s = wal_.Sync();
      if (!s.ok()) NOKV_LOG(kWarn) << "holt " << dir_ << ": final WAL sync: " << s.ToString();
    }
    Status ignored = wal_.Close();
    (void)ignored;
  }
  std::unique_lock tree(tree_mu_);
  std::vector<Record*> heads;
  heads.reserve(index_.size());
  index_.ForEach([&](Record* r) { heads.push_back(r); });
  for (Record* r : heads) arena_.FreeChain(r);
}

void Engine::BackgroundLoop() {
  using namespace std::chrono_literals;
  std::unique_lock lock(bg_mu_);
  while (!bg_stop_) {
    bg_cv_.wait_for(lock, std::chrono::seconds(1));
    if (bg_stop_) break;
    bool sweep = std::exchange(sweep_requested_, false);
    lock.unlock();
    if (CheckpointDue()) {
      Status s = Checkpoint();
      if (!s.ok()) NOKV_LOG(kWarn) << "holt " << dir_ << ": checkpoint: " << s.ToString();
    }
    if (!sweep) {
      std::shared_lock tree(tree_mu_);
      uint64_t extra = versions_ - index_.size();
      sweep = extra > std::max<uint64_t>(4096, index_.size() / 4);
    }
    if (sweep) Sweep();
    lock.lock();
  }
}

// Best effort: on a full disk the reserve stays missing until a later
// writable open or close finds the room.
void Engine::KeepReserve() {
  Status s = EnsureReserve(env_, dir_, options_.reserve_bytes);
  if (!s.ok()) NOKV_LOG(kInfo) << "holt " << dir_ << ": no space reserve: " << s.ToString();
}

// kGroup: acknowledged batches reach the disk within one interval, on a
// thread of their own so checkpoints and sweeps never delay them.
void Engine::SyncLoop() {
  std::unique_lock lock(bg_mu_);
  while (!bg_stop_) {
    bg_cv_.wait_for(lock, options_.group_sync_interval);
    lock.unlock();
    {
      std::lock_guard wal(wal_mu_);
      if (wal_unsynced_bytes_ > 0 && !failed_.load()) {
        Status s = wal_.Sync();
        if (!s.ok()) SetBackgroundError(s);
        wal_unsynced_bytes_ = 0;
      }
    }
    lock.lock();
  }
}

Stats Engine::GetStats() const {
  Stats s;
  {
    std::shared_lock tree(tree_mu_);
    s.keys = index_.size();
    s.versions = versions_;
    s.record_bytes = record_bytes_;
    s.node_bytes = index_.node_bytes();
    s.arena_bytes = arena_.bytes_reserved();
    s.last_seq = last_seq_;
  }
  s.resident_bytes = s.record_bytes + s.node_bytes;
  s.wal_bytes = wal_bytes_.load();
  s.checkpoint_seq = checkpoint_seq_.load();
  s.checkpoints = checkpoints_.load();
  s.visible_seq = visible_seq();
  s.commits = commits_.load();
  s.commit_groups = commit_groups_.load();
  {
    std::lock_guard pins(pin_mu_);
    for (const auto& [seq, count] : reader_pins_) s.reader_pins += static_cast<uint64_t>(count);
    s.durable_pins = durable_pins_.size();
  }
  s.wal_segments = wal_segments_.load();
  s.wal_since_checkpoint_bytes = wal_since_checkpoint_.load();
  s.checkpoint_unix_ns = image_unix_ns_.load();
  s.open_replay_segments = open_replay_.segments;
  s.open_replay_bytes = open_replay_.file_bytes;
  s.open_replay_records = open_replay_.records;
  s.open_torn_tail = open_replay_.torn_tail;
  s.commit_latency = commit_latency_.Summarize();
  return s;
}

}  // namespace nokv::holt
