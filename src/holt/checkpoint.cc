// Checkpoints: a consistent image of the index at a pinned sequence, written
// while writers keep committing, plus the sweep that frees dead versions.
//
// Image layout (docs/formats/checkpoint.md): file header (magic "HOLTCKPT",
// version 2, the image's sequence), then framed records: one 'M' record
// (sequence, durable pins), 'D' records of entries, and a final 'E' record
// with the key and version totals. An image without its 'E' record is
// incomplete and is never referenced by CURRENT. 'D' records are bounded by
// bytes and keys; a key whose versions do not fit continues in the next
// record (version 2; version 1 images, which never split a key, still load).
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "common/coding.h"
#include "common/logging.h"
#include "holt/engine.h"
#include "holt/log_format.h"
#include "holt/versions.h"

namespace nokv::holt {
namespace {

constexpr std::string_view kCheckpointMagic{"HOLTCKPT", 8};
constexpr uint32_t kCheckpointVersion = 2;
// The last version whose images never split one key over two entries.
constexpr uint32_t kCheckpointVersionUnsplit = 1;
constexpr size_t kKeysPerChunk = 2048;
constexpr size_t kFlushBytes = 1 << 20;
constexpr size_t kMaxVarintBytes = 10;

std::string CheckpointName(uint64_t seq) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "checkpoint-%016" PRIx64 ".holt", seq);
  return buf;
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

size_t EncodedVersionSize(const Record* r) {
  return static_cast<size_t>(VarintLength(r->seq)) + 1 +
         static_cast<size_t>(VarintLength(r->value().size())) + r->value().size();
}

// Packs index entries into 'D' payloads of at most `max_bytes` bytes and
// `max_keys` entries. Versions of a key that do not fit in the current
// payload continue in the next one as another entry of the same key; a
// payload always takes at least one version, so a version larger than
// `max_bytes` gets a payload of its own. Owned by one thread.
class ChunkPacker {
 public:
  ChunkPacker(size_t max_bytes, size_t max_keys) : max_bytes_(max_bytes), max_keys_(max_keys) {}

  // Adds one key's versions, newest first (at least one).
  void AddKey(std::string_view key, const std::vector<const Record*>& versions) {
    if (entries_ >= max_keys_) Seal();
    size_t entry_head =
        static_cast<size_t>(VarintLength(key.size())) + key.size() + kMaxVarintBytes;
    for (size_t i = 0; i < versions.size();) {
      size_t n = 0;
      size_t bytes = entry_head;
      for (; i + n < versions.size(); ++n) {
        size_t more = EncodedVersionSize(versions[i + n]);
        bool first = current_.size() == 1 && n == 0;
        if (!first && current_.size() + bytes + more > max_bytes_) break;
        bytes += more;
      }
      if (n == 0) {  // nothing fits behind what the payload already holds
        Seal();
        continue;
      }
      PutLengthPrefixed(&current_, key);
      PutVarint64(&current_, n);
      for (size_t k = i; k < i + n; ++k) {
        PutVarint64(&current_, versions[k]->seq);
        current_.push_back(versions[k]->tombstone() ? 1 : 0);
        PutLengthPrefixed(&current_, versions[k]->value());
      }
      entries_++;
      i += n;
      if (i < versions.size()) Seal();
    }
  }

  // True when a payload is complete.
  bool has_full() const { return !full_.empty(); }
  // Completes the payload being filled (after the last key).
  void Finish() { Seal(); }
  // Moves out the completed payloads.
  std::vector<std::string> TakeFull() { return std::exchange(full_, {}); }

 private:
  void Seal() {
    if (current_.size() > 1) full_.push_back(std::exchange(current_, "D"));
    entries_ = 0;
  }

  const size_t max_bytes_;
  const size_t max_keys_;
  std::string current_ = "D";
  size_t entries_ = 0;  // entries in current_
  std::vector<std::string> full_;
};

// Appends framed records to a file in writes of about kFlushBytes; a large
// payload is written straight from the caller's buffer. Owned by one thread.
class ImageWriter {
 public:
  explicit ImageWriter(WritableFile* file) : file_(file) {}

  std::string* buffer() { return &buf_; }

  Status Add(std::string_view payload) {
    // Never write what recovery would refuse to read back.
    if (payload.size() > kMaxRecordPayload) {
      return Status::TooLarge("checkpoint record of " + std::to_string(payload.size()) +
                              " bytes is over the limit of " + std::to_string(kMaxRecordPayload));
    }
    AppendRecordHeader(&buf_, payload);
    if (payload.size() >= kFlushBytes) {
      NOKV_RETURN_IF_ERROR(Flush());
      return file_->Append(payload);
    }
    buf_.append(payload);
    return buf_.size() >= kFlushBytes ? Flush() : Status::Ok();
  }

  Status Flush() {
    if (buf_.empty()) return Status::Ok();
    Status s = file_->Append(buf_);
    buf_.clear();
    return s;
  }

 private:
  WritableFile* file_;
  std::string buf_;
};

}  // namespace

bool IsCheckpointName(std::string_view name) {
  return name.starts_with("checkpoint-") && name.ends_with(".holt") && name.size() == 32;
}

Status Engine::Checkpoint() {
  if (options_.read_only) {
    return Status::NotSupported(
        dir_ + ": the engine is opened read-only; checkpoints need a writable open");
  }
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
    wal_segments_.fetch_add(1);
  }
  {
    // The leader that wrote `boundary` publishes it (or fails) shortly.
    std::unique_lock lock(visible_mu_);
    visible_cv_.wait(lock, [&] { return visible_seq() >= boundary || failed_.load(); });
  }
  if (visible_seq() < boundary) {
    return Status::FailedPrecondition("engine stopped after a WAL failure");
  }
  ReadView view = Pin();
  std::map<std::string, uint64_t> pins = DurablePins();
  std::erase_if(pins, [&](const auto& kv) { return kv.second > view.seq(); });
  std::string name;
  if (Status s = WriteCheckpoint(view.seq(), pins, &name); !s.ok()) {
    // A partial image is never read; on a full disk it would also hold the
    // space a retry needs.
    (void)env_->RemoveFile(JoinPath(dir_, CheckpointName(view.seq()) + ".tmp"));
    return s;
  }
  NOKV_RETURN_IF_ERROR(env_->WriteFileAtomically(JoinPath(dir_, "CURRENT"), name + "\n"));
  if (auto size = env_->GetFileSize(JoinPath(dir_, name)); size.ok()) image_bytes_ = *size;
  image_unix_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
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
  NOKV_ASSIGN_OR_RETURN(ImageInfo info, WriteImage(seq, pins, file.get()));
  NOKV_RETURN_IF_ERROR(file->Sync());
  NOKV_RETURN_IF_ERROR(file->Close());
  NOKV_RETURN_IF_ERROR(env_->RenameFile(tmp, JoinPath(dir_, *name)));
  NOKV_RETURN_IF_ERROR(env_->SyncDir(dir_));
  NOKV_LOG(kDebug) << "holt checkpoint " << *name << ": " << info.keys << " keys, " << info.versions
                   << " versions";
  return Status::Ok();
}

Result<ImageInfo> Engine::WriteImage(uint64_t seq, const std::map<std::string, uint64_t>& pins,
                                     WritableFile* file) {
  ImageWriter out(file);
  AppendFileHeader(out.buffer(), kCheckpointMagic, kCheckpointVersion, seq);
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
  NOKV_RETURN_IF_ERROR(out.Add(meta));

  ImageInfo info;
  info.seq = seq;
  info.pins = pins.size();
  ChunkPacker packer(options_.checkpoint_chunk_bytes, kKeysPerChunk);
  std::optional<std::string> resume;
  for (bool more = true; more;) {
    {
      // One lock hold completes at most one payload (its last key may spill
      // into more) and visits at most kKeysPerChunk keys; writers apply in
      // between.
      std::shared_lock tree(tree_mu_);
      ArtIndex::Iterator it(index_);
      if (resume)
        it.Seek(*resume, /*inclusive=*/false);
      else
        it.SeekToFirst();
      for (size_t n = 0; it.Valid() && n < kKeysPerChunk && !packer.has_full(); it.Next(), ++n) {
        resume = std::string(it.key());
        std::vector<const Record*> keep = RecordsToKeep(it.record(), read_points);
        if (keep.empty()) continue;
        packer.AddKey(it.key(), keep);
        info.keys++;
        info.versions += keep.size();
      }
      more = it.Valid();
    }
    if (!more) packer.Finish();
    for (const std::string& payload : packer.TakeFull()) NOKV_RETURN_IF_ERROR(out.Add(payload));
  }
  std::string end = "E";
  PutFixed64(&end, info.keys);
  PutFixed64(&end, info.versions);
  NOKV_RETURN_IF_ERROR(out.Add(end));
  NOKV_RETURN_IF_ERROR(out.Flush());
  info.bytes = file->Size();
  return info;
}

Result<ImageInfo> Engine::ExportImage(const ReadView& view, WritableFile* out) {
  if (view.engine_ != this) return Status::InvalidArgument("the view is not of this engine");
  std::map<std::string, uint64_t> pins = DurablePins();
  std::erase_if(pins, [&](const auto& kv) { return kv.second > view.seq(); });
  return WriteImage(view.seq(), pins, out);
}

Status InstallImage(Env* env, const std::string& image, const std::string& dir) {
  NOKV_ASSIGN_OR_RETURN(auto file, env->NewRandomAccessFile(image));
  std::string head;
  NOKV_RETURN_IF_ERROR(file->Read(0, kFileHeaderSize, &head));
  NOKV_ASSIGN_OR_RETURN(FileHeader header, ParseFileHeader(head, kCheckpointMagic, image));
  if (header.version != kCheckpointVersion && header.version != kCheckpointVersionUnsplit) {
    return Status::NotSupported(image + ": checkpoint version " + std::to_string(header.version));
  }
  file.reset();
  if (env->FileExists(dir)) {
    NOKV_ASSIGN_OR_RETURN(auto children, env->GetChildren(dir));
    if (!children.empty()) {
      return Status::AlreadyExists(dir +
                                   ": not empty; an image is installed only into a new "
                                   "engine directory");
    }
  }
  NOKV_RETURN_IF_ERROR(env->CreateDirs(dir));
  std::string name = CheckpointName(header.arg);
  NOKV_RETURN_IF_ERROR(env->SyncFile(image));
  NOKV_RETURN_IF_ERROR(env->RenameFile(image, JoinPath(dir, name)));
  NOKV_RETURN_IF_ERROR(env->WriteFileAtomically(JoinPath(dir, "CURRENT"), name + "\n"));
  return env->SyncDir(dir);
}

Status Engine::LoadCheckpointImage(const std::string& name) {
  std::string path = JoinPath(dir_, name);
  NOKV_ASSIGN_OR_RETURN(auto file, env_->NewRandomAccessFile(path));
  NOKV_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::string head;
  NOKV_RETURN_IF_ERROR(file->Read(0, std::min<uint64_t>(size, kFileHeaderSize), &head));
  NOKV_ASSIGN_OR_RETURN(FileHeader header, ParseFileHeader(head, kCheckpointMagic, path));
  if (header.version != kCheckpointVersion && header.version != kCheckpointVersionUnsplit) {
    return Status::NotSupported(path + ": checkpoint version " + std::to_string(header.version));
  }
  bool split_keys = header.version != kCheckpointVersionUnsplit;
  RecordReader reader(file.get(), size);
  uint64_t keys = 0, versions = 0;
  bool saw_meta = false, saw_end = false;
  Record* last_head = nullptr;  // the previous entry's key, for continuations
  auto corrupt = [&](uint64_t offset, const std::string& why) {
    return Status::Corruption(path + " at offset " + std::to_string(offset) + ": " + why);
  };
  for (;;) {
    uint64_t offset = reader.offset();
    std::string_view payload;
    std::string why;
    NOKV_ASSIGN_OR_RETURN(auto outcome, reader.Next(&payload, &why));
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
        // An image holds the pins at or before its sequence; a later one
        // would let a reader see commits made after the pin.
        if (pin_seq > seq) return corrupt(offset, "pin after the image's sequence");
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
      versions += n;
      if (split_keys && last_head != nullptr && last_head->key() == key) {
        // Older versions of the previous entry's key.
        Record* tail = last_head;
        while (tail->older != nullptr) tail = tail->older;
        if (tail->seq <= std::get<0>(chain.front())) {
          arena_.FreeChain(head);
          return corrupt(offset, "continued versions are not older");
        }
        tail->older = head;
        continue;
      }
      if (Record* old = index_.Upsert(head)) arena_.FreeChain(old);
      last_head = head;
      keys++;
    }
  }
  if (!saw_end) return Status::Corruption(path + ": image has no end record");
  last_seq_ = header.arg;
  checkpoint_seq_.store(header.arg);
  return Status::Ok();
}

Status Engine::DropCoveredFiles(uint64_t seq, const std::string& keep_image) {
  NOKV_ASSIGN_OR_RETURN(auto segments, ListWalSegments(env_, dir_));
  uint64_t live_bytes = 0, live_segments = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    std::string path = JoinPath(dir_, segments[i].name);
    if (i + 1 < segments.size() && segments[i + 1].first_seq <= seq + 1) {
      NOKV_RETURN_IF_ERROR(env_->RemoveFile(path));
      continue;
    }
    ++live_segments;
    if (auto size = env_->GetFileSize(path); size.ok()) live_bytes += *size;
  }
  NOKV_ASSIGN_OR_RETURN(auto names, env_->GetChildren(dir_));
  for (const std::string& name : names) {
    bool stale_image = IsCheckpointName(name) && name != keep_image;
    bool stale_tmp = name.starts_with("checkpoint-") && name.ends_with(".tmp");
    if (stale_image || stale_tmp) NOKV_RETURN_IF_ERROR(env_->RemoveFile(JoinPath(dir_, name)));
  }
  wal_bytes_.store(live_bytes);
  wal_segments_.store(live_segments);
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
