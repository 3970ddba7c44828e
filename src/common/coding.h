// Byte coding shared by every on-disk and on-wire format.
//
// Fixed-width integers are big-endian everywhere, so encoded keys sort in
// numeric order. Varints are LEB128 (7 bits a byte, low group first). Decoder
// reads from a borrowed string_view and never reads past its end: every Get*
// returns false on truncated input and leaves the decoder unusable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nokv {

void PutFixed16(std::string* dst, uint16_t v);
void PutFixed32(std::string* dst, uint32_t v);
void PutFixed64(std::string* dst, uint64_t v);
void PutVarint32(std::string* dst, uint32_t v);
void PutVarint64(std::string* dst, uint64_t v);
// Writes varint(length) followed by the bytes.
void PutLengthPrefixed(std::string* dst, std::string_view bytes);

// Encodes into a caller-provided buffer of at least 2/4/8 bytes.
void EncodeFixed32(char* dst, uint32_t v);
void EncodeFixed64(char* dst, uint64_t v);
uint16_t DecodeFixed16(const char* src);
uint32_t DecodeFixed32(const char* src);
uint64_t DecodeFixed64(const char* src);

// Number of bytes PutVarint64 writes for v.
int VarintLength(uint64_t v);

class Decoder {
 public:
  explicit Decoder(std::string_view input) : rest_(input) {}

  bool GetFixed8(uint8_t* v);
  bool GetFixed16(uint16_t* v);
  bool GetFixed32(uint32_t* v);
  bool GetFixed64(uint64_t* v);
  bool GetVarint32(uint32_t* v);
  bool GetVarint64(uint64_t* v);
  // The returned view borrows the decoder's input.
  bool GetLengthPrefixed(std::string_view* bytes);
  bool GetBytes(size_t n, std::string_view* bytes);

  bool empty() const { return rest_.empty(); }
  size_t remaining() const { return rest_.size(); }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

// Lowercase hexadecimal of `bytes`.
std::string HexEncode(std::string_view bytes);
// Parses lowercase or uppercase hex; false on odd length or a bad digit.
bool HexDecode(std::string_view hex, std::string* out);

}  // namespace nokv
