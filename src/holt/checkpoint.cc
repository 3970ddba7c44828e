// Checkpoints: a consistent image of the index at a pinned sequence, written
// while writers keep committing, plus the sweep that frees dead versions.
//
// Image layout (docs/formats/checkpoint.md): file header (magic "HOLTCKPT",
// version 1, the image's sequence), then framed records: one 'M' record
// (sequence, durable pins), 'D' records of entries, and a final 'E' record
// with the key and version totals. An image without its 'E' record is
// incomplete and is never referenced by CURRENT.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <thread>

#include "common/coding.h"
#include "common/logging.h"
#include "holt/engine.h"
#include "holt/log_format.h"
#include "holt/versions.h"

namespace nokv::holt {
namespace {

constexpr std::string_view kCheckpointMagic{"HOLTCKPT", 8};
constexpr uint32_t kCheckpointVersion = 1;
constexpr size_t kKeysPerChunk = 2048;
constexpr size_t kFlushBytes = 1 << 20;

std::string CheckpointName(uint64_t seq) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "checkpoint-%016" PRIx64 ".holt", seq);
  return buf;
}

bool IsCheckpointName(std::string_view name) {
  return name.starts_with("checkpoint-") && name.ends_with(".holt") && name.size() == 32;
}

// The records of one key an image must keep for the sequences in `pins`
// (descending): for each, the newest record at or below it; oldest-side
// tombstones dropped because "deleted" and "absent" read the same.
std::vector<const Record*> RecordsToKeep(const Record* head, const std::vector<uint64_t>& pins) {
  std::vector<const Record*> keep;
  for (uint64_t p : pins) {
    const Record* r = head;
    while (r != nullptr && r->seq > p) r = r->older;
    if (r != nullptr && (keep.empty() || keep.back() != r)) keep.push_back(r);
  }
  while (!keep.empty() && keep.back()->tombstone()) keep.pop_back();
  return keep;
}

}  // namespace

Status Engine::Checkpoint() {
  std::lock_guard checkpoint(checkpoint_mu_);
  if (failed_.load()) return Status::FailedPrecondition("engine stopped after a WAL failure");
  uint64_t boundary = 0;
  {
    // Everything up to `boundary` lives in segments older than the new one.
    std::lock_guard wal(wal_mu_);
    boundary = wal_written_seq_;
    Status s = wal_.StartSegment(boundary + 1);
    if (!s.ok()) {
      SetBackgroundError(s);
      return s;
    }
    wal_unsynced_bytes_ = 0;
  }
  while (visible_seq() < boundary && !failed_.load()) std::this_thread::yield();
  ReadView view = Pin();
  std::map<std::string, uint64_t> pins = DurablePins();
  std::erase_if(pins, [&](const auto& kv) { return kv.second > view.seq(); });
  std::string name;
  NOKV_RETURN_IF_ERROR(WriteCheckpoint(view.seq(), pins, &name));
  NOKV_RETURN_IF_ERROR(env_->WriteFileAtomically(JoinPath(dir_, "CURRENT"), name + "\n"));
  checkpoint_seq_.store(view.seq());
  checkpoints_.fetch_add(1);
  wal_since_checkpoint_.store(0);
  return DropCoveredFiles(view.seq(), name);
}

Status Engine::WriteCheckpoint(uint64_t seq, const std::map<std::string, uint64_t>& pins,
                               std::string* name) {
  *name = CheckpointName(seq);
  std::string tmp = JoinPath(dir_, *name + ".tmp");
  NOKV_ASSIGN_OR_RETURN(auto file, env_->NewWritableFile(tmp));
  std::string buf;
  AppendFileHeader(&buf, kCheckpointMagic, kCheckpointVersion, seq);
  std::string meta = "M";
  PutFixed64(&meta, seq);
  PutVarint64(&meta, pins.size());
  std::vector<uint64_t> read_points = {seq};
  for (const auto& [pin, pin_seq] : pins) {
    PutLengthPrefixed(&meta, pin);
    PutFixed64(&meta, pin_seq);
    read_points.push_back(pin_seq);
  }
  std::sort(read_points.rbegin(), read_points.rend());
  AppendRecord(&buf, meta);

  uint64_t total_keys = 0, total_versions = 0;
  std::optional<std::string> resume;
  for (bool more = true; more;) {
    std::string chunk = "D";
    {
      std::shared_lock tree(tree_mu_);
      ArtIndex::Iterator it(index_);
      if (resume)
        it.Seek(*resume, /*inclusive=*/false);
      else
        it.SeekToFirst();
      for (size_t n = 0; it.Valid() && n < kKeysPerChunk; it.Next(), ++n) {
        resume = std::string(it.key());
        std::vector<const Record*> keep = RecordsToKeep(it.record(), read_points);
        if (keep.empty()) continue;
        PutLengthPrefixed(&chunk, it.key());
        PutVarint64(&chunk, keep.size());
        for (const Record* r : keep) {
          PutVarint64(&chunk, r->seq);
          chunk.push_back(r->tombstone() ? 1 : 0);
          PutLengthPrefixed(&chunk, r->value());
        }
        total_keys++;
        total_versions += keep.size();
      }
      more = it.Valid();
    }
    if (chunk.size() > 1) AppendRecord(&buf, chunk);
    if (buf.size() >= kFlushBytes) {
      NOKV_RETURN_IF_ERROR(file->Append(buf));
      buf.clear();
    }
  }
  std::string end = "E";
  PutFixed64(&end, total_keys);
  PutFixed64(&end, total_versions);
  AppendRecord(&buf, end);
  NOKV_RETURN_IF_ERROR(file->Append(buf));
  NOKV_RETURN_IF_ERROR(file->Sync());
  NOKV_RETURN_IF_ERROR(file->Close());
  NOKV_RETURN_IF_ERROR(env_->RenameFile(tmp, JoinPath(dir_, *name)));
  NOKV_RETURN_IF_ERROR(env_->SyncDir(dir_));
  NOKV_LOG(kDebug) << "holt checkpoint " << *name << ": " << total_keys << " keys, "
                   << total_versions << " versions";
  return Status::Ok();
}

Status Engine::LoadCheckpointImage(const std::string& name) {
  std::string path = JoinPath(dir_, name);
  std::string file;
  NOKV_RETURN_IF_ERROR(env_->ReadFileToString(path, &file));
  NOKV_ASSIGN_OR_RETURN(FileHeader header, ParseFileHeader(file, kCheckpointMagic, path));
  if (header.version != kCheckpointVersion) {
    return Status::NotSupported(path + ": checkpoint version " + std::to_string(header.version));
  }
  RecordReader reader(file);
  uint64_t keys = 0, versions = 0;
  bool saw_meta = false, saw_end = false;
  auto corrupt = [&](uint64_t offset, const std::string& why) {
    return Status::Corruption(path + " at offset " + std::to_string(offset) + ": " + why);
  };
  for (;;) {
    uint64_t offset = reader.offset();
    std::string_view payload;
    std::string why;
    auto outcome = reader.Next(&payload, &why);
    if (outcome == RecordReader::Outcome::kEnd) break;
    if (outcome != RecordReader::Outcome::kRecord) return corrupt(offset, why);
    if (saw_end) return corrupt(offset, "data after the end record");
    Decoder d(payload);
    uint8_t tag = 0;
    d.GetFixed8(&tag);
    if (!saw_meta) {
      uint64_t seq = 0, count = 0;
      if (tag != 'M' || !d.GetFixed64(&seq) || !d.GetVarint64(&count) || seq != header.arg) {
        return corrupt(offset, "bad meta record");
      }
      for (uint64_t i = 0; i < count; ++i) {
        std::string_view pin;
        uint64_t pin_seq = 0;
        if (!d.GetLengthPrefixed(&pin) || !d.GetFixed64(&pin_seq)) {
          return corrupt(offset, "bad pin entry");
        }
        durable_pins_[std::string(pin)] = pin_seq;
      }
      saw_meta = true;
      continue;
    }
    if (tag == 'E') {
      uint64_t want_keys = 0, want_versions = 0;
      if (!d.GetFixed64(&want_keys) || !d.GetFixed64(&want_versions) || want_keys != keys ||
          want_versions != versions) {
        return corrupt(offset, "end record does not match the entries");
      }
      saw_end = true;
      continue;
    }
    if (tag != 'D') return corrupt(offset, "unknown record tag");
    while (!d.empty()) {
      std::string_view key;
      uint64_t n = 0;
      if (!d.GetLengthPrefixed(&key) || !d.GetVarint64(&n) || n == 0) {
        return corrupt(offset, "bad entry");
      }
      std::vector<std::tuple<uint64_t, bool, std::string_view>> chain;
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t seq = 0;
        uint8_t flags = 0;
        std::string_view value;
        if (!d.GetVarint64(&seq) || !d.GetFixed8(&flags) || !d.GetLengthPrefixed(&value)) {
          return corrupt(offset, "bad version");
        }
        chain.emplace_back(seq, flags & 1, value);
      }
      Record* head = nullptr;
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        head = arena_.New(key, std::get<2>(*it), std::get<0>(*it), std::get<1>(*it), head);
        versions_++;
        record_bytes_ += head->footprint();
      }
      if (Record* old = index_.Upsert(head)) arena_.FreeChain(old);
      keys++;
      versions += n;
    }
  }
  if (!saw_end) return Status::Corruption(path + ": image has no end record");
  last_seq_ = header.arg;
  checkpoint_seq_.store(header.arg);
  return Status::Ok();
}

Status Engine::DropCoveredFiles(uint64_t seq, const std::string& keep_image) {
  NOKV_ASSIGN_OR_RETURN(auto segments, ListWalSegments(env_, dir_));
  uint64_t live_bytes = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    std::string path = JoinPath(dir_, segments[i].name);
    if (i + 1 < segments.size() && segments[i + 1].first_seq <= seq + 1) {
      NOKV_RETURN_IF_ERROR(env_->RemoveFile(path));
    } else if (auto size = env_->GetFileSize(path); size.ok()) {
      live_bytes += *size;
    }
  }
  NOKV_ASSIGN_OR_RETURN(auto names, env_->GetChildren(dir_));
  for (const std::string& name : names) {
    bool stale_image = IsCheckpointName(name) && name != keep_image;
    bool stale_tmp = name.starts_with("checkpoint-") && name.ends_with(".tmp");
    if (stale_image || stale_tmp) NOKV_RETURN_IF_ERROR(env_->RemoveFile(JoinPath(dir_, name)));
  }
  wal_bytes_.store(live_bytes);
  return env_->SyncDir(dir_);
}

void Engine::Sweep() {
  std::optional<std::string> resume;
  bool done = false;
  while (!done) SweepChunk(&resume, &done);
}

void Engine::SweepChunk(std::optional<std::string>* resume, bool* done) {
  std::unique_lock tree(tree_mu_);
  std::vector<uint64_t> pins = PinSnapshot();
  uint64_t visible = visible_seq();
  std::vector<std::string> work;
  {
    ArtIndex::Iterator it(index_);
    if (resume->has_value())
      it.Seek(**resume, /*inclusive=*/false);
    else
      it.SeekToFirst();
    for (size_t n = 0; it.Valid() && n < kKeysPerChunk; it.Next(), ++n) {
      const Record* head = it.record();
      *resume = std::string(head->key());
      if (head->older != nullptr || head->tombstone()) work.emplace_back(head->key());
    }
    *done = !it.Valid();
  }
  for (const std::string& key : work) {
    Record* head = index_.Find(key);
    PruneResult freed = PruneChain(head, pins, &arena_);
    versions_ -= freed.records;
    record_bytes_ -= freed.bytes;
    if (head->tombstone() && head->older == nullptr && head->seq <= visible) {
      index_.Erase(key);
      versions_--;
      record_bytes_ -= head->footprint();
      arena_.Free(head);
    }
  }
  std::lock_guard pin_lock(pin_mu_);
  prune_floor_ = std::max(prune_floor_, last_seq_);
}

}  // namespace nokv::holt
