// Framing, header checks and the torn-tail versus corruption decision.
#include "holt/log_format.h"

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

void AppendRecord(std::string* dst, std::string_view payload) {
  char header[kRecordHeaderSize];
  EncodeFixed32(header, static_cast<uint32_t>(payload.size()));
  EncodeFixed32(header + 4, crc32c::Mask(crc32c::Value(payload)));
  EncodeFixed32(header + 8, crc32c::Mask(crc32c::Value(header, 8)));
  dst->append(header, kRecordHeaderSize);
  dst->append(payload);
}

Result<FileHeader> ParseFileHeader(std::string_view file, std::string_view magic,
                                   std::string_view path) {
  std::string where(path);
  if (file.size() < kFileHeaderSize) {
    return Status::Corruption(where + ": file header truncated (" + std::to_string(file.size()) +
                              " bytes)");
  }
  if (file.substr(0, 8) != magic.substr(0, 8)) {
    return Status::Corruption(where + ": bad magic at offset 0");
  }
  uint32_t stored = DecodeFixed32(file.data() + 20);
  if (crc32c::Unmask(stored) != crc32c::Value(file.data(), 20)) {
    return Status::Corruption(where + ": file header checksum mismatch at offset 0");
  }
  return FileHeader{DecodeFixed32(file.data() + 8), DecodeFixed64(file.data() + 12)};
}

bool RecordReader::RestIsZero(uint64_t from) const {
  for (uint64_t i = from; i < file_.size(); ++i) {
    if (file_[i] != '\0') return false;
  }
  return true;
}

RecordReader::Outcome RecordReader::Next(std::string_view* payload, std::string* why) {
  uint64_t left = file_.size() - offset_;
  if (left == 0) return Outcome::kEnd;
  if (left < kRecordHeaderSize) {
    *why = "record header cut short";
    return Outcome::kTornTail;
  }
  const char* header = file_.data() + offset_;
  if (crc32c::Unmask(DecodeFixed32(header + 8)) != crc32c::Value(header, 8)) {
    if (RestIsZero(offset_)) {
      *why = "zero fill after the last record";
      return Outcome::kTornTail;
    }
    *why = "record header checksum mismatch";
    return Outcome::kCorrupt;
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
  std::string_view body = file_.substr(offset_ + kRecordHeaderSize, length);
  if (crc32c::Unmask(DecodeFixed32(header + 4)) != crc32c::Value(body)) {
    bool last = offset_ + kRecordHeaderSize + length == file_.size() ||
                RestIsZero(offset_ + kRecordHeaderSize + length);
    *why = "record payload checksum mismatch";
    return last ? Outcome::kTornTail : Outcome::kCorrupt;
  }
  *payload = body;
  offset_ += kRecordHeaderSize + length;
  return Outcome::kRecord;
}

}  // namespace nokv::holt
