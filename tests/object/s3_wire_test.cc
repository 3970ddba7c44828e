// S3 wire helpers: canonical percent-encoding, sorted queries, XML.
#include "object/s3_wire.h"

#include <gtest/gtest.h>

namespace nokv::object {
namespace {

TEST(UriEncodeTest, EncodesLikeSigV4WithUppercaseHex) {
  EXPECT_EQ(UriEncode("AZaz09-._~", false), "AZaz09-._~");
  EXPECT_EQ(UriEncode("a b+c%d/e", false), "a%20b%2Bc%25d%2Fe");
  EXPECT_EQ(UriEncode("a b/c", true), "a%20b/c");
  EXPECT_EQ(UriEncode("\xC3\xA9", true), "%C3%A9");
  EXPECT_EQ(UriEncode("=&?#*", false), "%3D%26%3F%23%2A");
}

TEST(CanonicalQueryTest, SortsAndAlwaysWritesKeyEqualsValue) {
  EXPECT_EQ(CanonicalQuery({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(CanonicalQuery({{"prefix", "a b/"}, {"list-type", "2"}, {"max-keys", "10"}}),
            "list-type=2&max-keys=10&prefix=a%20b%2F");
  EXPECT_EQ(CanonicalQuery({{"uploadId", "x"}, {"partNumber", "3"}}), "partNumber=3&uploadId=x");
}

TEST(XmlTest, ExtractsElementsAndDecodesEntities) {
  std::string xml =
      "<ListBucketResult xmlns=\"x\"><IsTruncated>true</IsTruncated>"
      "<Contents><Key>a&amp;b &lt;c&gt; &#233;&#x41;</Key><Size>12</Size></Contents>"
      "<Contents><Key>k2</Key><Size>0</Size></Contents><KeyCount>2</KeyCount>"
      "<Prefix/></ListBucketResult>";
  auto contents = XmlElements(xml, "Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(XmlText(contents[0], "Key"),
            "a&b <c> \xC3\xA9"
            "A");
  EXPECT_EQ(XmlText(contents[1], "Size"), "0");
  EXPECT_EQ(XmlText(xml, "IsTruncated"), "true");
  EXPECT_EQ(XmlText(xml, "KeyCount"), "2");  // not confused with <Key>
  EXPECT_EQ(XmlElements(xml, "Key").size(), 2u);
  EXPECT_EQ(XmlText(xml, "Prefix"), "");
  EXPECT_EQ(XmlText(xml, "Missing"), "");
}

TEST(XmlTest, EscapeRoundTripsAndFlagsUnsendableBytes) {
  std::string s = "a&b<c>\"d'e\r";
  EXPECT_EQ(XmlUnescape(XmlEscape(s)), s);
  EXPECT_TRUE(XmlSendable("tab\tok\n"));
  EXPECT_FALSE(XmlSendable(std::string("nul\x01", 4)));
}

TEST(ContentMd5Test, MatchesKnownValue) {
  EXPECT_EQ(ContentMd5(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(ContentMd5("hello"), "XUFAKrxLKna5cZ2REBfFkg==");
}

TEST(S3TimeTest, ParsesListObjectsLastModified) {
  int64_t ns = 0;
  ASSERT_TRUE(ParseIso8601Time("2009-10-12T17:50:30.000Z", &ns));
  EXPECT_EQ(ns, int64_t{1255369830} * 1'000'000'000);
  ASSERT_TRUE(ParseIso8601Time("2024-02-29T00:00:01.25Z", &ns));  // leap day, fraction
  EXPECT_EQ(ns, int64_t{1709164801} * 1'000'000'000 + 250'000'000);
  ASSERT_TRUE(ParseIso8601Time("1970-01-01T00:00:00Z", &ns));
  EXPECT_EQ(ns, 0);
  for (const char* bad :
       {"", "2009-10-12", "2009-10-12T17:50:30", "2009-13-12T17:50:30Z", "2009-10-12T17:50:30.Z",
        "2009-10-12T17:50:30Zjunk", "2009-1O-12T17:50:30Z"}) {
    EXPECT_FALSE(ParseIso8601Time(bad, &ns)) << bad;
  }
}

TEST(S3TimeTest, ParsesHttpLastModifiedHeader) {
  int64_t ns = 0;
  ASSERT_TRUE(ParseHttpDate("Wed, 12 Oct 2009 17:50:00 GMT", &ns));
  EXPECT_EQ(ns, int64_t{1255369800} * 1'000'000'000);
  EXPECT_FALSE(ParseHttpDate("Wed, 12 Foo 2009 17:50:00 GMT", &ns));
  EXPECT_FALSE(ParseHttpDate("12 Oct 2009 17:50:00 GMT", &ns));
  EXPECT_FALSE(ParseHttpDate("", &ns));
}

TEST(S3MultipartEtagTest, IsTheMd5OfThePartMd5sWithTheCount) {
  // Two parts "a" and "b": MD5("a") = 0cc175b9..., MD5("b") = 92eb5ffe...
  std::vector<std::string> parts = {"\"0cc175b9c0f1b6a831c399e269772661\"",
                                    "\"92eb5ffee6ae2fec3ad71c777531578f\""};
  EXPECT_EQ(MultipartEtag(parts), "\"96e024ba2074fe77e8e965ba43a704be-2\"");
  parts[1] = "\"not-an-md5\"";
  EXPECT_EQ(MultipartEtag(parts), "");
}

// Found by tests/fuzz/s3_xml_fuzz (UBSan: signed overflow): a LastModified
// outside the years int64 nanoseconds reach is malformed, not undefined.
TEST(S3WireTest, TimesOutsideTheNanosecondRangeAreMalformed) {
  int64_t ns = 0;
  EXPECT_FALSE(ParseIso8601Time("0000-01-01T00:00:00Z", &ns));
  EXPECT_FALSE(ParseIso8601Time("9999-12-31T23:59:59Z", &ns));
  EXPECT_FALSE(ParseHttpDate("Mon, 01 Jan 0001 00:00:00 GMT", &ns));
  EXPECT_TRUE(ParseIso8601Time("2262-01-01T00:00:00Z", &ns));
}

}  // namespace
}  // namespace nokv::object
