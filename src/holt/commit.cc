// The commit path: writer queue, group commit, predicate checks, apply.
//
// Writers enqueue under commit_mu_. The writer at the front becomes the
// leader: it takes the queued batches as one group, checks and applies them
// under tree_mu_ (exclusive, no I/O), then writes the group's WAL records
// with one write and (in sync mode) one fdatasync, and only then publishes
// the group's last sequence as visible. Followers sleep until their batch is
// done. Commit order therefore equals sequence order.
#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include "common/coding.h"
#include "common/logging.h"
#include "holt/engine.h"
#include "holt/log_format.h"
#include "holt/versions.h"

namespace nokv::holt {

struct Engine::Writer {
  const Batch* batch = nullptr;
  Status status;
  uint64_t seq = 0;
  size_t failed_predicate = SIZE_MAX;
  bool done = false;
  std::condition_variable cv;
};

Result<uint64_t> Engine::Commit(const Batch& batch, size_t* failed_predicate) {
  if (options_.read_only) {
    return Status::NotSupported(dir_ +
                                ": the engine is opened read-only; commits need a writable open");
  }
  auto start = std::chrono::steady_clock::now();
  Writer self;
  self.batch = &batch;
  std::unique_lock lock(commit_mu_);
  if (!bg_error_.ok()) return bg_error_;
  writers_.push_back(&self);
  ++committers_;
  if (leader_waiting_ && writers_.size() >= committers_) leader_cv_.notify_one();
  self.cv.wait(lock, [&] { return self.done || writers_.front() == &self; });
  if (!self.done) {
    GatherGroup(lock);
    std::vector<Writer*> group;
    size_t bytes = 0;
    for (Writer* w : writers_) {
      if (!group.empty() && bytes + w->batch->byte_size() > options_.max_group_bytes) break;
      group.push_back(w);
      bytes += w->batch->byte_size();
    }
    Status error = bg_error_;
    lock.unlock();
    if (error.ok()) error = RunGroup(group);
    if (!error.ok()) {
      for (Writer* w : group) {
        if (w->status.ok()) w->status = error;
      }
    }
    lock.lock();
    if (!error.ok() && bg_error_.ok()) {
      bg_error_ = error;
      failed_.store(true);
      NOKV_LOG(kError) << "holt " << dir_
                       << ": commits disabled after WAL failure: " << error.ToString();
      NotifyVisibleWaiters();
    }
    for (Writer* w : group) {
      writers_.pop_front();
      w->done = true;
      if (w != &self) w->cv.notify_one();
    }
    if (!writers_.empty()) writers_.front()->cv.notify_one();
    commit_groups_.fetch_add(1, std::memory_order_relaxed);
  }
  --committers_;
  if (leader_waiting_ && writers_.size() >= committers_) leader_cv_.notify_one();
  lock.unlock();
  auto elapsed = std::chrono::steady_clock::now() - start;
  commit_latency_.Record(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
  if (failed_predicate != nullptr) *failed_predicate = self.failed_predicate;
  if (!self.status.ok()) return self.status;
  commits_.fetch_add(1, std::memory_order_relaxed);
  return self.seq;
}

// With durable commits, a leader that sees fewer queued batches than callers
// inside Commit waits briefly for the rest: writers released by the previous
// group re-enter within microseconds, and one fdatasync then covers them all
// instead of every other group paying its own.
void Engine::GatherGroup(std::unique_lock<std::mutex>& lock) {
  if (options_.durability != Durability::kSync || writers_.size() >= committers_) return;
  leader_waiting_ = true;
  leader_cv_.wait_for(lock, options_.group_gather_wait,
                      [&] { return writers_.size() >= committers_; });
  leader_waiting_ = false;
}

Status Engine::RunGroup(const std::vector<Writer*>& group) {
  std::string records;
  std::string payload;
  uint64_t first = 0;
  uint64_t last = 0;
  bool unpinned = false;
  {
    std::unique_lock tree(tree_mu_);
    std::vector<uint64_t> pins = PinSnapshot();
    CollectPendingTombstones(pins);
    for (Writer* w : group) {
      Status why;
      if (!CheckPredicates(*w->batch, &w->failed_predicate, &why)) {
        w->status = why;
        continue;
      }
      if (w->batch->empty()) {
        w->seq = last_seq_;
        continue;
      }
      uint64_t seq = last_seq_ + 1;
      const Batch* batch = w->batch;
      Batch resolved;
      if (batch->needs_resolution()) {
        w->status = Resolve(*batch, seq, &resolved);
        if (!w->status.ok()) continue;
        batch = &resolved;
      }
      w->status = CheckBatchSize(*batch);
      if (!w->status.ok()) continue;
      last_seq_ = seq;
      ApplyBatch(seq, *batch, &pins);
      for (const Op& op : batch->ops()) unpinned |= op.type == OpType::kUnpin;
      payload.clear();
      batch->EncodeTo(seq, &payload);
      AppendRecord(&records, payload);
      w->seq = seq;
      if (first == 0) first = seq;
      last = seq;
    }
    std::lock_guard pin_lock(pin_mu_);
    prune_floor_ = std::max(prune_floor_, last_seq_);
  }
  if (records.empty()) return Status::Ok();
  NOKV_RETURN_IF_ERROR(WriteWal(records, first, last));
  visible_seq_.store(last, std::memory_order_release);
  NotifyVisibleWaiters();
  bool want_checkpoint = options_.checkpoint_wal_bytes > 0 &&
                         wal_since_checkpoint_.load() >= options_.checkpoint_wal_bytes;
  if (unpinned || want_checkpoint) {
    std::lock_guard bg(bg_mu_);
    sweep_requested_ |= unpinned;
    bg_cv_.notify_all();
  }
  return Status::Ok();
}

Status Engine::WriteWal(std::string_view records, uint64_t first_seq, uint64_t last_seq) {
  std::lock_guard lock(wal_mu_);
  if (wal_.segment_bytes() >= options_.wal_segment_bytes) {
    NOKV_RETURN_IF_ERROR(wal_.StartSegment(first_seq));
    wal_unsynced_bytes_ = 0;
    wal_segments_.fetch_add(1);
  }
  NOKV_RETURN_IF_ERROR(wal_.Append(records));
  wal_written_seq_ = last_seq;
  if (options_.durability == Durability::kSync) {
    NOKV_RETURN_IF_ERROR(wal_.Sync());
  } else {
    wal_unsynced_bytes_ += records.size();
  }
  wal_bytes_.fetch_add(records.size(), std::memory_order_relaxed);
  wal_since_checkpoint_.fetch_add(records.size(), std::memory_order_relaxed);
  return Status::Ok();
}

std::vector<uint64_t> Engine::PinSnapshot() const {
  std::vector<uint64_t> pins;
  std::lock_guard lock(pin_mu_);
  pins.reserve(reader_pins_.size() + durable_pins_.size() + 1);
  for (const auto& [seq, count] : reader_pins_) pins.push_back(seq);
  for (const auto& [name, seq] : durable_pins_) pins.push_back(seq);
  pins.push_back(visible_seq());
  std::sort(pins.begin(), pins.end());
  pins.erase(std::unique(pins.begin(), pins.end()), pins.end());
  return pins;
}

bool Engine::CheckPredicates(const Batch& batch, size_t* failed, Status* why) const {
  const auto& predicates = batch.predicates();
  for (size_t i = 0; i < predicates.size(); ++i) {
    const Predicate& p = predicates[i];
    bool holds = false;
    if (p.type == PredicateType::kPrefixEmpty) {
      holds = !LiveUnder(p.key, 0, /*latest=*/true);
    } else {
      const Record* head = index_.Find(p.key);
      bool live = head != nullptr && !head->tombstone();
      switch (p.type) {
        case PredicateType::kExists:
          holds = live;
          break;
        case PredicateType::kNotExists:
          holds = !live;
          break;
        case PredicateType::kVersionIs:
          holds = p.seq == 0 ? !live : (live && head->seq == p.seq);
          break;
        case PredicateType::kPrefixEmpty:
          break;
      }
    }
    if (!holds) {
      *failed = i;
      *why = Status(Code::kFailedPrecondition,
                    "predicate " + std::to_string(i) + " (" + DescribePredicate(p) + ") failed",
                    Reason::kPredicateFailed);
      return false;
    }
  }
  return true;
}

// Checked after resolution (a merge's result size is known only then) and
// before the batch gets a sequence, so a refused batch changes nothing.
Status Engine::CheckBatchSize(const Batch& resolved) const {
  size_t bytes = resolved.encoded_size();
  if (bytes <= options_.max_batch_bytes) return Status::Ok();
  return Status::TooLarge(
      "batch of " + std::to_string(bytes) + " encoded bytes is over the limit of " +
      std::to_string(options_.max_batch_bytes) + " bytes (Options::max_batch_bytes)");
}

Status Engine::Resolve(const Batch& batch, uint64_t seq, Batch* resolved) const {
  char stamp[8];
  EncodeFixed64(stamp, seq);
  auto stamped = [&](std::string bytes, uint32_t offset, const char* what) -> Result<std::string> {
    if (offset == kNoStamp) return bytes;
    if (offset > bytes.size() || bytes.size() - offset < 8) {
      return Status::InvalidArgument(std::string("sequence stamp outside the ") + what);
    }
    bytes.replace(offset, 8, stamp, 8);
    return bytes;
  };
  // Values this batch has already set, so a later merge sees them.
  std::map<std::string, std::optional<std::string>, std::less<>> overlay;
  for (const Op& op : batch.ops()) {
    switch (op.type) {
      case OpType::kPut: {
        NOKV_ASSIGN_OR_RETURN(std::string key, stamped(op.key, op.stamp.key_offset, "key"));
        NOKV_ASSIGN_OR_RETURN(std::string value, stamped(op.value, op.stamp.value_offset, "value"));
        overlay[key] = value;
        resolved->Put(key, value);
        break;
      }
      case OpType::kDelete:
        overlay[op.key] = std::nullopt;
        resolved->Delete(op.key);
        break;
      case OpType::kMerge: {
        if (!options_.merge_operator) {
          return Status::InvalidArgument("batch has a merge but the engine has no merge operator");
        }
        std::optional<std::string_view> current;
        if (auto it = overlay.find(op.key); it != overlay.end()) {
          if (it->second) current = *it->second;
        } else if (const Record* head = index_.Find(op.key); head && !head->tombstone()) {
          current = head->value();
        }
        NOKV_ASSIGN_OR_RETURN(
            std::string value,
            options_.merge_operator(op.key, current ? &*current : nullptr, op.value, seq));
        overlay[op.key] = value;
        resolved->Put(op.key, value);
        break;
      }
      case OpType::kPin:
        resolved->Pin(op.key);
        break;
      case OpType::kUnpin:
        resolved->Unpin(op.key);
        break;
    }
  }
  return Status::Ok();
}

bool Engine::LiveUnder(std::string_view prefix, uint64_t seq, bool latest) const {
  ArtIndex::Iterator it(index_);
  for (it.Seek(prefix); it.Valid() && it.key().starts_with(prefix); it.Next()) {
    const Record* head = it.record();
    if (latest ? !head->tombstone() : VisibleAt(head, seq) != nullptr) return true;
  }
  return false;
}

void Engine::ApplyBatch(uint64_t seq, const Batch& batch, std::vector<uint64_t>* pins) {
  for (const Op& op : batch.ops()) {
    switch (op.type) {
      case OpType::kPut:
      case OpType::kDelete:
        ApplyWrite(seq, op, *pins);
        break;
      case OpType::kPin: {
        std::lock_guard lock(pin_mu_);
        durable_pins_[op.key] = seq;
        pins->insert(std::lower_bound(pins->begin(), pins->end(), seq), seq);
        break;
      }
      case OpType::kUnpin: {
        std::lock_guard lock(pin_mu_);
        durable_pins_.erase(op.key);
        break;
      }
      case OpType::kMerge:
        break;  // resolved into puts before applying
    }
  }
}

void Engine::ApplyWrite(uint64_t seq, const Op& op, std::span<const uint64_t> pins) {
  bool deletion = op.type == OpType::kDelete;
  Record* head = index_.Find(op.key);
  if (deletion && (head == nullptr || head->tombstone())) return;
  bool same_batch = head != nullptr && head->seq == seq;
  Record* record = arena_.New(op.key, op.value, seq, deletion, same_batch ? head->older : head);
  index_.Upsert(record);
  versions_++;
  record_bytes_ += record->footprint();
  if (same_batch) {
    versions_--;
    record_bytes_ -= head->footprint();
    arena_.Free(head);
  }
  PruneResult freed = PruneChain(record, pins, &arena_);
  versions_ -= freed.records;
  record_bytes_ -= freed.bytes;
  if (deletion) pending_tombstones_.push_back(op.key);
}

void Engine::CollectPendingTombstones(std::span<const uint64_t> pins) {
  uint64_t visible = visible_seq();
  for (const std::string& key : pending_tombstones_) {
    Record* head = index_.Find(key);
    if (head == nullptr || !head->tombstone()) continue;
    PruneResult freed = PruneChain(head, pins, &arena_);
    versions_ -= freed.records;
    record_bytes_ -= freed.bytes;
    if (head->older == nullptr && head->seq <= visible) {
      index_.Erase(key);
      versions_--;
      record_bytes_ -= head->footprint();
      arena_.Free(head);
    }
  }
  pending_tombstones_.clear();
}

void Engine::SetBackgroundError(const Status& s) {
  std::lock_guard lock(commit_mu_);
  if (bg_error_.ok()) {
    bg_error_ = s;
    NOKV_LOG(kError) << "holt " << dir_ << ": commits disabled: " << s.ToString();
  }
  failed_.store(true);
  NotifyVisibleWaiters();
}

bool Engine::WaitVisibleAfter(uint64_t seq, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(visible_mu_);
  return visible_cv_.wait_until(lock, deadline, [&] {
    return visible_seq() > seq || failed_.load();
  }) && visible_seq() > seq;
}

void Engine::NotifyVisibleWaiters() {
  { std::lock_guard lock(visible_mu_); }
  visible_cv_.notify_all();
}

}  // namespace nokv::holt
