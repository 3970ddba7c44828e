// Row encoding: round trip, the version byte and corruption detection.
#include "records/row.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace nokv::records {
namespace {

Row SampleRow() {
  Row row;
  row.fields["run.status"] = {TypedValue::String("completed")};
  row.fields["param.layers"] = {TypedValue::Number(64), TypedValue::Number(-0.5)};
  row.fields["flags"] = {TypedValue::Bool(true), TypedValue::Bool(false)};
  row.fields[std::string("odd\0id", 6)] = {TypedValue::String(std::string("a\0b", 3))};
  return row;
}

TEST(RowEncodingTest, RoundTrips) {
  std::string encoded;
  EncodeRow(SampleRow(), &encoded);
  EXPECT_EQ(encoded.front(), kRowEncodingVersion);
  Result<Row> decoded = DecodeRow(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, SampleRow());
  EXPECT_EQ(decoded->fields.at("param.layers").at(1).number_value(), -0.5);

  std::string empty;
  EncodeRow(Row(), &empty);
  EXPECT_EQ(empty, std::string("\x01\x00", 2));
  EXPECT_TRUE(DecodeRow(empty)->fields.empty());
}

TEST(RowEncodingTest, AppendsToExistingBytes) {
  std::string out = "prefix";
  EncodeRow(SampleRow(), &out);
  EXPECT_EQ(*DecodeRow(std::string_view(out).substr(6)), SampleRow());
}

TEST(RowEncodingTest, RejectsBadVersionTruncationAndTrailingBytes) {
  std::string encoded;
  EncodeRow(SampleRow(), &encoded);
  EXPECT_TRUE(FailsWith(DecodeRow(""), Code::kCorruption, "empty"));
  std::string v2 = encoded;
  v2[0] = 2;
  EXPECT_TRUE(FailsWith(DecodeRow(v2), Code::kCorruption, "unknown encoding version 2"));
  for (size_t n = 1; n < encoded.size(); ++n) {
    EXPECT_EQ(DecodeRow(encoded.substr(0, n)).status().code(), Code::kCorruption) << n;
  }
  EXPECT_TRUE(FailsWith(DecodeRow(encoded + "x"), Code::kCorruption, "trailing bytes"));
}

TEST(RowEncodingTest, FlippedBytesNeverCrashAndUsuallyFail) {
  std::string encoded;
  EncodeRow(SampleRow(), &encoded);
  size_t failures = 0;
  for (size_t i = 0; i < encoded.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = encoded;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      Result<Row> row = DecodeRow(flipped);
      if (!row.ok()) {
        ++failures;
        EXPECT_EQ(row.status().code(), Code::kCorruption);
      } else {
        EXPECT_NE(*row, SampleRow());  // a flip that decodes must change the row
      }
    }
  }
  EXPECT_GT(failures, encoded.size());
}

}  // namespace
}  // namespace nokv::records
