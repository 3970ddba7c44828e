// WAL segments: naming, writing and crash-tolerant replay.
#include "holt/wal.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "common/logging.h"
#include "holt/log_format.h"

namespace nokv::holt {

std::string WalSegmentName(uint64_t first_seq) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "wal-%016" PRIx64 ".log", first_seq);
  return buf;
}

bool ParseWalSegmentName(std::string_view name, uint64_t* first_seq) {
  if (name.size() != 24 || name.substr(0, 4) != "wal-" || name.substr(20) != ".log") return false;
  uint64_t v = 0;
  for (char c : name.substr(4, 16)) {
    int digit = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (digit < 0) return false;
    v = v * 16 + static_cast<uint64_t>(digit);
  }
  *first_seq = v;
  return true;
}

Result<std::vector<WalSegment>> ListWalSegments(Env* env, const std::string& dir) {
  NOKV_ASSIGN_OR_RETURN(auto names, env->GetChildren(dir));
  std::vector<WalSegment> segments;
  for (auto& name : names) {
    uint64_t first = 0;
    if (ParseWalSegmentName(name, &first)) segments.push_back({first, name});
  }
  std::sort(segments.begin(), segments.end(),
            [](const WalSegment& a, const WalSegment& b) { return a.first_seq < b.first_seq; });
  return segments;
}

Status WalWriter::StartSegment(uint64_t first_seq) {
  // The old segment is made durable first, so only the newest segment can
  // ever end in a torn record.
  NOKV_RETURN_IF_ERROR(Sync());
  NOKV_RETURN_IF_ERROR(Close());
  std::string path = JoinPath(dir_, WalSegmentName(first_seq));
  NOKV_ASSIGN_OR_RETURN(file_, env_->NewWritableFile(path));
  std::string header;
  AppendFileHeader(&header, kWalMagic, kWalVersion, first_seq);
  Status s = file_->Append(header);
  if (s.ok()) s = file_->Sync();
  if (s.ok()) s = env_->SyncDir(dir_);
  if (!s.ok()) {
    // A header-less file would only be skipped by replay; on a full disk,
    // leaving it would also keep the space it took.
    (void)file_->Close();
    file_.reset();
    (void)env_->RemoveFile(path);
    return s;
  }
  first_seq_ = first_seq;
  return Status::Ok();
}

Status WalWriter::ResumeSegment(uint64_t first_seq) {
  NOKV_RETURN_IF_ERROR(Close());
  NOKV_ASSIGN_OR_RETURN(file_, env_->NewAppendableFile(JoinPath(dir_, WalSegmentName(first_seq))));
  first_seq_ = first_seq;
  return Status::Ok();
}

Status WalWriter::Append(std::string_view records) {
  if (!file_) return Status::FailedPrecondition("WAL has no open segment");
  return file_->Append(records);
}

Status WalWriter::Sync() {
  if (!file_) return Status::Ok();
  return file_->Sync();
}

Status WalWriter::Close() {
  if (!file_) return Status::Ok();
  Status s = file_->Close();
  file_.reset();
  return s;
}

namespace {

// Cuts the torn tail of `path` at `offset`, durably.
Status CutTornTail(Env* env, const std::string& path, uint64_t offset) {
  NOKV_RETURN_IF_ERROR(env->TruncateFile(path, offset));
  // The cut must be durable before a newer segment exists, or a power loss
  // could bring the torn bytes back in a segment that is no longer the newest.
  NOKV_ASSIGN_OR_RETURN(auto cut, env->NewAppendableFile(path));
  return cut->Sync();
}

// Replays one segment. `last` says whether it may end in a torn tail;
// `repair` whether that tail is cut off.
Status ReplaySegment(Env* env, const std::string& dir, const WalSegment& segment, bool last,
                     bool repair, uint64_t after_seq,
                     const std::function<Status(uint64_t, const Batch&)>& apply,
                     WalReplayStats* stats) {
  const std::string path = JoinPath(dir, segment.name);
  NOKV_ASSIGN_OR_RETURN(auto file, env->NewRandomAccessFile(path));
  NOKV_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  stats->file_bytes += size;
  std::string head;
  NOKV_RETURN_IF_ERROR(file->Read(0, std::min<uint64_t>(size, kFileHeaderSize), &head));
  // A crash between creating the newest segment and syncing its header
  // leaves it short or zero-filled: it holds no records.
  if (last &&
      (head.size() < kFileHeaderSize || head.find_first_not_of('\0') == std::string::npos)) {
    NOKV_LOG(kWarn) << "ignoring WAL segment " << path << " with an incomplete header (" << size
                    << " bytes)";
    stats->torn_tail = true;
    return Status::Ok();
  }
  NOKV_ASSIGN_OR_RETURN(FileHeader header, ParseFileHeader(head, kWalMagic, path));
  if (header.version != kWalVersion) {
    return Status::NotSupported(path + ": WAL version " + std::to_string(header.version));
  }
  RecordReader reader(file.get(), size);
  Batch batch;
  if (last) stats->resumable_first_seq = segment.first_seq;
  for (;;) {
    std::string_view payload;
    std::string why;
    uint64_t offset = reader.offset();
    NOKV_ASSIGN_OR_RETURN(auto outcome, reader.Next(&payload, &why));
    if (outcome == RecordReader::Outcome::kEnd) break;
    if (outcome == RecordReader::Outcome::kTornTail && last) {
      stats->torn_tail = true;
      if (!repair) {
        NOKV_LOG(kInfo) << "ignoring torn WAL tail of " << path << " at offset " << offset << " ("
                        << why << ", " << size - offset << " bytes); a writable open cuts it";
        break;
      }
      NOKV_LOG(kWarn) << "cutting torn WAL tail of " << path << " at offset " << offset << " ("
                      << why << ", " << size - offset << " bytes)";
      NOKV_RETURN_IF_ERROR(CutTornTail(env, path, offset));
      stats->cut_torn_tail = true;
      break;
    }
    if (outcome != RecordReader::Outcome::kRecord) {
      return Status::Corruption(path + " at offset " + std::to_string(offset) + ": " + why);
    }
    uint64_t seq = 0;
    Status s = Batch::Decode(payload, &seq, &batch);
    if (!s.ok()) return s.WithContext(path + " at offset " + std::to_string(offset));
    stats->records++;
    stats->bytes += payload.size();
    if (seq <= after_seq) continue;
    if (seq != stats->last_seq + 1) {
      return Status::Corruption(path + " at offset " + std::to_string(offset) + ": sequence " +
                                std::to_string(seq) + " follows " +
                                std::to_string(stats->last_seq));
    }
    NOKV_RETURN_IF_ERROR(apply(seq, batch));
    stats->last_seq = seq;
  }
  return Status::Ok();
}

}  // namespace

Status ReplayWal(Env* env, const std::string& dir, uint64_t after_seq, bool repair,
                 const std::function<Status(uint64_t, const Batch&)>& apply,
                 WalReplayStats* stats) {
  NOKV_ASSIGN_OR_RETURN(auto segments, ListWalSegments(env, dir));
  stats->last_seq = after_seq;
  for (size_t i = 0; i < segments.size(); ++i) {
    // A segment whose successor starts at or before after_seq + 1 holds only
    // records the checkpoint already covers.
    if (i + 1 < segments.size() && segments[i + 1].first_seq <= after_seq + 1) continue;
    stats->segments++;
    bool last = i + 1 == segments.size();
    NOKV_RETURN_IF_ERROR(
        ReplaySegment(env, dir, segments[i], last, repair, after_seq, apply, stats));
  }
  return Status::Ok();
}

}  // namespace nokv::holt
