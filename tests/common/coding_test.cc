#include "common/coding.h"

#include <gtest/gtest.h>

#include <limits>

namespace nokv {
namespace {

TEST(CodingTest, FixedIntegersAreBigEndianAndSortNumerically) {
  std::string a, b;
  PutFixed64(&a, 255);
  PutFixed64(&b, 256);
  EXPECT_LT(a, b);
  EXPECT_EQ(a, std::string("\0\0\0\0\0\0\0\xff", 8));
  Decoder d(a);
  uint64_t v = 0;
  ASSERT_TRUE(d.GetFixed64(&v));
  EXPECT_EQ(v, 255u);
  EXPECT_TRUE(d.empty());
}

TEST(CodingTest, VarintRoundTripsAcrossLengths) {
  std::string buf;
  std::vector<uint64_t> values = {
      0, 1, 127, 128, 300, 1u << 21, uint64_t{1} << 35, std::numeric_limits<uint64_t>::max()};
  for (uint64_t v : values) PutVarint64(&buf, v);
  Decoder d(buf);
  for (uint64_t v : values) {
    uint64_t got = 0;
    ASSERT_TRUE(d.GetVarint64(&got));
    EXPECT_EQ(got, v);
    EXPECT_EQ(VarintLength(v), [&] {
      std::string s;
      PutVarint64(&s, v);
      return int(s.size());
    }());
  }
  EXPECT_TRUE(d.empty());
}

TEST(CodingTest, TruncatedInputIsRejected) {
  std::string buf;
  PutVarint64(&buf, uint64_t{1} << 40);
  buf.pop_back();
  Decoder d(buf);
  uint64_t v;
  EXPECT_FALSE(d.GetVarint64(&v));

  std::string lp;
  PutLengthPrefixed(&lp, "hello");
  lp.pop_back();
  Decoder d2(lp);
  std::string_view out;
  EXPECT_FALSE(d2.GetLengthPrefixed(&out));
}

TEST(CodingTest, OverlongVarintIsRejected) {
  std::string buf(11, '\xff');
  Decoder d(buf);
  uint64_t v;
  EXPECT_FALSE(d.GetVarint64(&v));
}

TEST(CodingTest, Varint32RejectsWideValues) {
  std::string buf;
  PutVarint64(&buf, uint64_t{1} << 33);
  Decoder d(buf);
  uint32_t v;
  EXPECT_FALSE(d.GetVarint32(&v));
}

TEST(CodingTest, HexRoundTrip) {
  std::string raw("\x00\x01\xab\xff", 4);
  EXPECT_EQ(HexEncode(raw), "0001abff");
  std::string back;
  ASSERT_TRUE(HexDecode("0001ABff", &back));
  EXPECT_EQ(back, raw);
  EXPECT_FALSE(HexDecode("abc", &back));
  EXPECT_FALSE(HexDecode("zz", &back));
}

}  // namespace
}  // namespace nokv
