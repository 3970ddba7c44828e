// Framed records: the byte layout shared by WAL segments and checkpoint images.
//
// A file is a 24-byte file header followed by records (docs/formats/wal.md):
//
//   file header:  magic[8] | version u32 | kind-specific u64 | crc32c(first 20 bytes) u32
//   record:       length u32 | crc32c(payload) u32 | crc32c(length, payload crc) u32 | payload
//
// All integers big-endian, CRCs masked. The header CRC lets a reader tell a
// torn tail (a record cut short by a crash) from damage in the middle of a
// file: a record whose header is intact but whose payload runs past the end
// of the file is torn, whereas bytes that do not parse with more valid data
// behind them are corruption.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"

namespace nokv::holt {

inline constexpr size_t kFileHeaderSize = 24;
inline constexpr size_t kRecordHeaderSize = 12;
// Upper bound on one record's payload; larger lengths are corruption.
inline constexpr uint32_t kMaxRecordPayload = 1u << 30;

// Appends a file header for `magic` (exactly 8 bytes).
void AppendFileHeader(std::string* dst, std::string_view magic, uint32_t version, uint64_t arg);
// Appends one framed record holding `payload`.
void AppendRecord(std::string* dst, std::string_view payload);

struct FileHeader {
  uint32_t version = 0;
  uint64_t arg = 0;
};
// Validates the header of `file` (its whole contents) against `magic`.
Result<FileHeader> ParseFileHeader(std::string_view file, std::string_view magic,
                                   std::string_view path);

// Walks the records of a file's contents after its header.
class RecordReader {
 public:
  enum class Outcome { kRecord, kEnd, kTornTail, kCorrupt };

  // `file` is the whole file and must outlive the reader.
  explicit RecordReader(std::string_view file) : file_(file), offset_(kFileHeaderSize) {}

  // Reads the next record into *payload (borrowing the file bytes).
  // kEnd: clean end of file. kTornTail: the rest of the file, starting at
  // offset(), is an incomplete final record (or zero fill). kCorrupt: bytes
  // at offset() are damaged and valid data may follow; *why says what.
  Outcome Next(std::string_view* payload, std::string* why);

  // Offset of the record Next() will read (or that failed).
  uint64_t offset() const { return offset_; }

 private:
  bool RestIsZero(uint64_t from) const;

  std::string_view file_;
  uint64_t offset_;
};

}  // namespace nokv::holt
