// Framing, header checks and the torn-tail versus corruption decision.
#include "holt/log_format.h"

#include <algorithm>

#include "common/coding.h"
#include "common/crc32c.h"

namespace nokv::holt {

void AppendFileHeader(std::string* dst, std::string_view magic, uint32_t version, uint64_t arg) {
  size_t start = dst->size();
  dst->append(magic.substr(0, 8));
  dst->append(8 - std::min<size_t>(8, magic.size()), '\0');
  PutFixed32(dst, version);
  PutFixed64(dst, arg);
  PutFixed32(dst, crc32c::Mask(crc32c::Value(dst->data() + start, 20)));
}

void AppendRecordHeader(std::string* dst, std::string_view payload) {
  char header[kRecordHeaderSize];
  EncodeFixed32(header, static_cast<uint32_t>(payload.size()));
  EncodeFixed32(header + 4, crc32c::Mask(crc32c::Value(payload)));
  EncodeFixed32(header + 8, crc32c::Mask(crc32c::Value(header, 8)));
  dst->append(header, kRecordHeaderSize);
}

void AppendRecord(std::string* dst, std::string_view payload) {
  AppendRecordHeader(dst, payload);
  dst->append(payload);
}

Result<FileHeader> ParseFileHeader(std::string_view head, std::string_view magic,
                                   std::string_view path) {
  std::string where(path);
  if (head.size() < kFileHeaderSize) {
    return Status::Corruption(where + ": file header truncated (" + std::to_string(head.size()) +
                              " bytes)");
  }
  if (head.substr(0, 8) != magic.substr(0, 8)) {
    return Status::Corruption(where + ": bad magic at offset 0");
  }
  uint32_t stored = DecodeFixed32(head.data() + 20);
  if (crc32c::Unmask(stored) != crc32c::Value(head.data(), 20)) {
    return Status::Corruption(where + ": file header checksum mismatch at offset 0");
  }
  return FileHeader{DecodeFixed32(head.data() + 8), DecodeFixed64(head.data() + 12)};
}

Result<std::string_view> RecordReader::ReadAt(uint64_t offset, size_t n) {
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - std::min(offset, size_)));
  if (offset >= window_start_ && offset + n <= window_start_ + window_.size()) {
    return std::string_view(window_).substr(offset - window_start_, n);
  }
  size_t want = std::max(n, kReadAheadBytes);
  want = static_cast<size_t>(std::min<uint64_t>(want, size_ - offset));
  // Give back the memory of an earlier large record.
  if (window_.capacity() > 2 * std::max(want, kReadAheadBytes)) std::string().swap(window_);
  NOKV_RETURN_IF_ERROR(file_->Read(offset, want, &window_));
  window_start_ = offset;
  return std::string_view(window_).substr(0, std::min(n, window_.size()));
}

Result<bool> RecordReader::RestIsZero(uint64_t from) {
  for (uint64_t at = from; at < size_;) {
    NOKV_ASSIGN_OR_RETURN(std::string_view bytes, ReadAt(at, kReadAheadBytes));
    if (bytes.empty()) break;  // the file shrank under us: nothing more to see
    if (bytes.find_first_not_of('\0') != std::string_view::npos) return false;
    at += bytes.size();
  }
  return true;
}

Result<bool> RecordReader::ZeroFromSectorIn(uint64_t end) {
  // The last sector boundary strictly inside (offset_, end).
  uint64_t boundary = (end - 1) / kTornWriteSector * kTornWriteSector;
  if (boundary <= offset_) return false;
  return RestIsZero(boundary);
}

Result<RecordReader::Outcome> RecordReader::Next(std::string_view* payload, std::string* why) {
  uint64_t left = size_ - offset_;
  if (left == 0) return Outcome::kEnd;
  if (left < kRecordHeaderSize) {
    *why = "record header cut short";
    return Outcome::kTornTail;
  }
  NOKV_ASSIGN_OR_RETURN(std::string_view header_bytes, ReadAt(offset_, kRecordHeaderSize));
  if (header_bytes.size() < kRecordHeaderSize) {
    *why = "record header cut short";
    return Outcome::kTornTail;
  }
  char header[kRecordHeaderSize];
  header_bytes.copy(header, kRecordHeaderSize);
  if (crc32c::Unmask(DecodeFixed32(header + 8)) != crc32c::Value(header, 8)) {
    NOKV_ASSIGN_OR_RETURN(bool zero, RestIsZero(offset_));
    if (zero) {
      *why = "zero fill after the last record";
      return Outcome::kTornTail;
    }
    NOKV_ASSIGN_OR_RETURN(bool torn, ZeroFromSectorIn(offset_ + kRecordHeaderSize));
    *why = torn ? "record header cut off at a sector boundary" : "record header checksum mismatch";
    return torn ? Outcome::kTornTail : Outcome::kCorrupt;
  }
  uint32_t length = DecodeFixed32(header);
  if (length > kMaxRecordPayload) {
    *why = "record length " + std::to_string(length) + " over the limit";
    return Outcome::kCorrupt;
  }
  if (left - kRecordHeaderSize < length) {
    *why = "record payload cut short";
    return Outcome::kTornTail;
  }
  uint64_t end = offset_ + kRecordHeaderSize + length;
  NOKV_ASSIGN_OR_RETURN(std::string_view body, ReadAt(offset_ + kRecordHeaderSize, length));
  if (body.size() < length) {
    *why = "record payload cut short";
    return Outcome::kTornTail;
  }
  if (crc32c::Unmask(DecodeFixed32(header + 4)) != crc32c::Value(body)) {
    // A complete record whose payload fails its checksum is damage, unless
    // the file is zero from a sector boundary inside it to the end: the
    // shape a write cut short by a crash leaves behind.
    NOKV_ASSIGN_OR_RETURN(bool torn, ZeroFromSectorIn(end));
    *why =
        torn ? "record payload cut off at a sector boundary" : "record payload checksum mismatch";
    return torn ? Outcome::kTornTail : Outcome::kCorrupt;
  }
  *payload = body;
  offset_ = end;
  return Outcome::kRecord;
}

}  // namespace nokv::holt
