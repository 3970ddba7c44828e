// CRC32C: hardware path on x86-64 with SSE4.2 (three interleaved chains for
// long inputs), slicing-by-one table elsewhere.
#include "common/crc32c.h"

#include <array>
#include <cstring>

namespace nokv::crc32c {
namespace {

constexpr uint32_t kPolynomial = 0x82f63b78u;  // reflected Castagnoli polynomial

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = MakeTable();

#if defined(__x86_64__)
// The crc32 instruction has a latency of three cycles and a throughput of
// one, so one chain of it runs at a third of the speed the unit can give.
// Long inputs are cut into three lanes of kLane bytes, one chain each, run
// side by side; the lanes are then joined with a precomputed "append kLane
// zero bytes" operator (CRCs are linear over GF(2): crc(A || B) =
// shift_|B|(crc(A)) xor crc_from_zero(B)).
constexpr size_t kLane = 4096;

// shift(v) = the raw CRC register after kLane zero bytes, starting from v,
// as four byte-indexed tables (a 32x32 bit matrix).
struct LaneShift {
  std::array<std::array<uint32_t, 256>, 4> table{};

  LaneShift() {
    std::array<uint32_t, 32> basis{};
    for (int bit = 0; bit < 32; ++bit) {
      uint32_t v = uint32_t{1} << bit;
      for (size_t i = 0; i < kLane; ++i) v = kTable[v & 0xff] ^ (v >> 8);
      basis[bit] = v;
    }
    for (int k = 0; k < 4; ++k) {
      for (uint32_t b = 0; b < 256; ++b) {
        uint32_t v = 0;
        for (int bit = 0; bit < 8; ++bit) {
          if (b & (1u << bit)) v ^= basis[8 * k + bit];
        }
        table[k][b] = v;
      }
    }
  }

  uint32_t Apply(uint32_t v) const {
    return table[0][v & 0xff] ^ table[1][(v >> 8) & 0xff] ^ table[2][(v >> 16) & 0xff] ^
           table[3][v >> 24];
  }
};

const LaneShift& Shift() {
  static const LaneShift shift;
  return shift;
}

__attribute__((target("sse4.2"))) uint64_t Words(uint64_t c, const char* data, size_t words) {
  for (size_t i = 0; i < words; ++i) {
    uint64_t word;
    std::memcpy(&word, data + 8 * i, 8);
    c = __builtin_ia32_crc32di(c, word);
  }
  return c;
}

__attribute__((target("sse4.2"))) uint32_t ExtendHardware(uint32_t crc, const char* data,
                                                          size_t n) {
  uint64_t c = ~crc;
  if (n >= 3 * kLane) {
    const LaneShift& shift = Shift();
    while (n >= 3 * kLane) {
      uint64_t a = c, b = 0, d = 0;
      const char* pa = data;
      const char* pb = data + kLane;
      const char* pd = data + 2 * kLane;
      for (size_t i = 0; i < kLane; i += 8) {
        uint64_t wa, wb, wd;
        std::memcpy(&wa, pa + i, 8);
        std::memcpy(&wb, pb + i, 8);
        std::memcpy(&wd, pd + i, 8);
        a = __builtin_ia32_crc32di(a, wa);
        b = __builtin_ia32_crc32di(b, wb);
        d = __builtin_ia32_crc32di(d, wd);
      }
      uint32_t ab = shift.Apply(static_cast<uint32_t>(a)) ^ static_cast<uint32_t>(b);
      c = shift.Apply(ab) ^ static_cast<uint32_t>(d);
      data += 3 * kLane;
      n -= 3 * kLane;
    }
  }
  c = Words(c, data, n / 8);
  data += n / 8 * 8;
  n %= 8;
  auto c32 = static_cast<uint32_t>(c);
  while (n > 0) {
    c32 = __builtin_ia32_crc32qi(c32, static_cast<uint8_t>(*data));
    ++data;
    --n;
  }
  return ~c32;
}

bool HasHardwareCrc() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

}  // namespace

uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc = kTable[(crc ^ static_cast<uint8_t>(data[i])) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

uint32_t Extend(uint32_t crc, const char* data, size_t n) {
#if defined(__x86_64__)
  if (HasHardwareCrc()) return ExtendHardware(crc, data, n);
#endif
  return ExtendPortable(crc, data, n);
}

}  // namespace nokv::crc32c
