#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace nokv {
namespace {

// Reference values from RFC 3720 (iSCSI) appendix B.4.
TEST(Crc32cTest, MatchesStandardVectors) {
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c::Value(zeros), 0x8a9136aau);
  std::string ones(32, '\xff');
  EXPECT_EQ(crc32c::Value(ones), 0x62a8ab43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c::Value(ascending), 0x46dd794eu);
  EXPECT_EQ(crc32c::Value("123456789"), 0xe3069283u);
}

TEST(Crc32cTest, ExtendEqualsWholeValue) {
  std::string data = "hello, write-ahead log";
  uint32_t split =
      crc32c::Extend(crc32c::Value(data.substr(0, 7)), data.data() + 7, data.size() - 7);
  EXPECT_EQ(split, crc32c::Value(data));
}

TEST(Crc32cTest, HardwareLanesAgreeWithTheTableAtEveryLength) {
  // Long inputs run three interleaved chains joined by a shift operator;
  // lengths around the lane boundaries (3 x 4096) and odd offsets.
  std::string data(3 * 3 * 4096 + 100, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (char& c : data) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  for (size_t n : {0ul, 1ul, 7ul, 8ul, 4095ul, 12287ul, 12288ul, 12289ul, 12295ul, 24576ul, 24583ul,
                   data.size() - 1}) {
    for (size_t offset : {0ul, 1ul}) {
      const char* p = data.data() + offset;
      EXPECT_EQ(crc32c::Extend(0, p, n), crc32c::ExtendPortable(0, p, n)) << n << "+" << offset;
      EXPECT_EQ(crc32c::Extend(0x12345678u, p, n), crc32c::ExtendPortable(0x12345678u, p, n))
          << n << "+" << offset;
    }
  }
}

TEST(Crc32cTest, MaskRoundTripsAndDiffers) {
  uint32_t crc = crc32c::Value("foo");
  EXPECT_NE(crc32c::Mask(crc), crc);
  EXPECT_EQ(crc32c::Unmask(crc32c::Mask(crc)), crc);
}

}  // namespace
}  // namespace nokv
