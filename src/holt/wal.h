// The write-ahead log: numbered segment files of framed batch records.
//
// Segment `wal-<first seq, 16 hex>.log` starts with a file header (magic
// "HOLTWAL\0", version 1, the first sequence it may hold) followed by one
// record per committed batch, in sequence order with no gaps. See
// docs/formats/wal.md. WalWriter is used by the engine's commit leader only
// (one thread at a time); ReplayWal runs during Open.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/env.h"
#include "holt/batch.h"

namespace nokv::holt {

inline constexpr std::string_view kWalMagic{"HOLTWAL\0", 8};
inline constexpr uint32_t kWalVersion = 1;

std::string WalSegmentName(uint64_t first_seq);
// Parses "wal-<16 hex>.log"; false for any other name.
bool ParseWalSegmentName(std::string_view name, uint64_t* first_seq);

struct WalSegment {
  uint64_t first_seq;
  std::string name;
};
// The segments in `dir`, ordered by first sequence.
Result<std::vector<WalSegment>> ListWalSegments(Env* env, const std::string& dir);

class WalWriter {
 public:
  WalWriter(Env* env, std::string dir) : env_(env), dir_(std::move(dir)) {}

  // Closes the current segment and starts `wal-<first_seq>.log`; the new
  // file's header and directory entry are durable when this returns. On
  // failure the new file is removed (best effort) and no segment is open.
  Status StartSegment(uint64_t first_seq);
  // Continues appending to the existing segment `wal-<first_seq>.log`, whose
  // header and records replay has just verified (and whose torn tail, if
  // any, it cut). Writes nothing.
  Status ResumeSegment(uint64_t first_seq);
  // Appends already framed records with one write.
  Status Append(std::string_view records);
  // fdatasync of the current segment.
  Status Sync();
  Status Close();

  uint64_t segment_bytes() const { return file_ ? file_->Size() : 0; }
  uint64_t segment_first_seq() const { return first_seq_; }

 private:
  Env* env_;
  std::string dir_;
  std::unique_ptr<WritableFile> file_;
  uint64_t first_seq_ = 0;
};

struct WalReplayStats {
  uint64_t segments = 0;    // segments read (covered ones are skipped unread)
  uint64_t records = 0;     // records read, including those the image covers
  uint64_t bytes = 0;       // payload bytes of those records
  uint64_t file_bytes = 0;  // bytes of the segments read
  uint64_t last_seq = 0;
  bool torn_tail = false;      // the newest segment ended in a torn tail
  bool cut_torn_tail = false;  // ... and it was cut off (repair mode)
  // The newest segment, when its header is valid: replay may append to it.
  std::optional<uint64_t> resumable_first_seq;
};

// Replays every record with sequence > `after_seq`, in order, through
// `apply`. A torn tail in the last segment ends replay; with `repair` it is
// also cut off (the file truncated and synced) and logged, without it the
// files are only read. Damage anywhere (a complete record failing its
// checksum, a torn tail in an older segment) or a gap in the sequence is a
// Corruption error naming the file and byte offset. See docs/formats/wal.md.
Status ReplayWal(Env* env, const std::string& dir, uint64_t after_seq, bool repair,
                 const std::function<Status(uint64_t seq, const Batch& batch)>& apply,
                 WalReplayStats* stats);

}  // namespace nokv::holt
