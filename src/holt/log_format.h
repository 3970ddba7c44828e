// Framed records: the byte layout shared by WAL segments and checkpoint images.
//
// A file is a 24-byte file header followed by records (docs/formats/wal.md):
//
//   file header:  magic[8] | version u32 | kind-specific u64 | crc32c(first 20 bytes) u32
//   record:       length u32 | crc32c(payload) u32 | crc32c(length, payload crc) u32 | payload
//
// All integers big-endian, CRCs masked. The header CRC lets a reader tell a
// torn tail (a record cut short by a crash) from damage: a record whose
// header is intact but whose payload runs past the end of the file is torn,
// and so is a failing record that is zero from a sector boundary to the end
// of the file; a complete record that fails its checksum is corruption.
//
// Size limits: recovery accepts payloads up to kMaxRecordPayload. Writers
// keep every record they produce at or below it, with margin: batches are
// capped by Options::max_batch_bytes (at most kMaxBatchBytesLimit), and a
// checkpoint record holds at most one chunk or one version of one key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/env.h"
#include "common/result.h"
#include "common/status.h"

namespace nokv::holt {

inline constexpr size_t kFileHeaderSize = 24;
inline constexpr size_t kRecordHeaderSize = 12;
// Upper bound on one record's payload; larger lengths are corruption.
inline constexpr uint32_t kMaxRecordPayload = 1u << 30;
// Largest Options::max_batch_bytes an engine accepts. Half the read limit, so
// a checkpoint record holding one key and version of a batch at this size
// (a few bytes of framing more than the batch) is still far below it.
inline constexpr size_t kMaxBatchBytesLimit = kMaxRecordPayload / 2;
// What a reader reads ahead in one call; records larger than this are read
// with one call of their own size.
inline constexpr size_t kReadAheadBytes = 256 << 10;
// The unit in which a write interrupted by a crash reaches the disk: a record
// that fails its checksum and is zero from such a boundary (of the file) to
// the end of the file is a torn tail; any other failing record is damage.
inline constexpr uint64_t kTornWriteSector = 512;

// Appends a file header for `magic` (exactly 8 bytes).
void AppendFileHeader(std::string* dst, std::string_view magic, uint32_t version, uint64_t arg);
// Appends one framed record holding `payload`.
void AppendRecord(std::string* dst, std::string_view payload);
// Appends only the 12-byte header of that record (the payload is written
// separately, to avoid copying a large one).
void AppendRecordHeader(std::string* dst, std::string_view payload);

struct FileHeader {
  uint32_t version = 0;
  uint64_t arg = 0;
};
// Validates a file header against `magic`. `head` is the file's first
// kFileHeaderSize bytes (fewer when the file is shorter).
Result<FileHeader> ParseFileHeader(std::string_view head, std::string_view magic,
                                   std::string_view path);

// Walks the records after a file's header, reading the file through a
// window of kReadAheadBytes (or one record, when larger), so memory stays
// bounded by the largest record rather than the file. One thread at a time.
class RecordReader {
 public:
  enum class Outcome { kRecord, kEnd, kTornTail, kCorrupt };

  // `file`, `size` bytes long, must outlive the reader.
  RecordReader(const RandomAccessFile* file, uint64_t size) : file_(file), size_(size) {}

  // Reads the next record into *payload, which stays valid until the next
  // call. kEnd: clean end of file. kTornTail: the rest of the file, starting
  // at offset(), is an incomplete final record (cut short, or zero from a
  // sector boundary on) or zero fill. kCorrupt:
  // bytes at offset() are damaged and valid data may follow; *why says
  // what. An error status only for a failed read.
  Result<Outcome> Next(std::string_view* payload, std::string* why);

  // Offset of the record Next() will read (or that failed).
  uint64_t offset() const { return offset_; }

 private:
  // Bytes [offset, offset + n) of the file, valid until the next read.
  // Shorter only at the end of the file.
  Result<std::string_view> ReadAt(uint64_t offset, size_t n);
  Result<bool> RestIsZero(uint64_t from);
  // Whether the file is all zero from some multiple of kTornWriteSector
  // inside (offset(), end) to its end: a write cut off by a crash.
  Result<bool> ZeroFromSectorIn(uint64_t end);

  const RandomAccessFile* file_;
  uint64_t size_;
  uint64_t offset_ = kFileHeaderSize;
  std::string window_;  // file bytes starting at window_start_
  uint64_t window_start_ = 0;
};

// Whether `name` has the form of a checkpoint image file name
// ("checkpoint-<16 hex digits>.holt"); CURRENT must hold one.
bool IsCheckpointName(std::string_view name);

}  // namespace nokv::holt
