// Big-endian fixed integers, LEB128 varints and hex.
#include "common/coding.h"

namespace nokv {

void EncodeFixed32(char* dst, uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) dst[i] = static_cast<char>(v & 0xff);
}

void EncodeFixed64(char* dst, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) dst[i] = static_cast<char>(v & 0xff);
}

uint16_t DecodeFixed16(const char* src) {
  auto p = reinterpret_cast<const unsigned char*>(src);
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

uint32_t DecodeFixed32(const char* src) {
  auto p = reinterpret_cast<const unsigned char*>(src);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

uint64_t DecodeFixed64(const char* src) {
  return (uint64_t{DecodeFixed32(src)} << 32) | DecodeFixed32(src + 4);
}

void PutFixed16(std::string* dst, uint16_t v) {
  dst->push_back(static_cast<char>(v >> 8));
  dst->push_back(static_cast<char>(v & 0xff));
}

void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  EncodeFixed32(buf, v);
  dst->append(buf, 4);
}

void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  EncodeFixed64(buf, v);
  dst->append(buf, 8);
}

void PutVarint64(std::string* dst, uint64_t v) {
  while (v >= 0x80) {
    dst->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  dst->push_back(static_cast<char>(v));
}

void PutVarint32(std::string* dst, uint32_t v) { PutVarint64(dst, v); }

void PutLengthPrefixed(std::string* dst, std::string_view bytes) {
  PutVarint64(dst, bytes.size());
  dst->append(bytes);
}

int VarintLength(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

bool Decoder::GetFixed8(uint8_t* v) {
  if (rest_.empty()) return false;
  *v = static_cast<uint8_t>(rest_[0]);
  rest_.remove_prefix(1);
  return true;
}

bool Decoder::GetFixed16(uint16_t* v) {
  if (rest_.size() < 2) return false;
  *v = DecodeFixed16(rest_.data());
  rest_.remove_prefix(2);
  return true;
}

bool Decoder::GetFixed32(uint32_t* v) {
  if (rest_.size() < 4) return false;
  *v = DecodeFixed32(rest_.data());
  rest_.remove_prefix(4);
  return true;
}

bool Decoder::GetFixed64(uint64_t* v) {
  if (rest_.size() < 8) return false;
  *v = DecodeFixed64(rest_.data());
  rest_.remove_prefix(8);
  return true;
}

bool Decoder::GetVarint64(uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !rest_.empty(); shift += 7) {
    auto byte = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    if (shift == 63 && byte > 1) break;  // would overflow 64 bits
    result |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  rest_ = {};
  return false;
}

bool Decoder::GetVarint32(uint32_t* v) {
  uint64_t wide = 0;
  if (!GetVarint64(&wide) || wide > UINT32_MAX) return false;
  *v = static_cast<uint32_t>(wide);
  return true;
}

bool Decoder::GetBytes(size_t n, std::string_view* bytes) {
  if (rest_.size() < n) return false;
  *bytes = rest_.substr(0, n);
  rest_.remove_prefix(n);
  return true;
}

bool Decoder::GetLengthPrefixed(std::string_view* bytes) {
  uint64_t n = 0;
  return GetVarint64(&n) && GetBytes(n, bytes);
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool HexDecode(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  out->reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]);
    int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

}  // namespace nokv
