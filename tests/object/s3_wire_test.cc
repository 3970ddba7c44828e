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

}  // namespace
}  // namespace nokv::object
