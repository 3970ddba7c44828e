// CRC32C (Castagnoli), the checksum of every framed record on disk.
//
// Uses the SSE4.2 crc32 instruction when the CPU has it, a table otherwise;
// both give identical results. Stored CRCs are masked (see Mask) so that a CRC
// over bytes that themselves contain CRCs stays well distributed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nokv::crc32c {

// Extends `crc` (the CRC of some prefix) with `data`.
uint32_t Extend(uint32_t crc, const char* data, size_t n);
// The table implementation, whatever the CPU (tests compare the two).
uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n);

inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view data) { return Extend(0, data.data(), data.size()); }

inline constexpr uint32_t kMaskDelta = 0xa282ead8u;

inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }

inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace nokv::crc32c
