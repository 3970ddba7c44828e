#include "common/sha256.h"

#include <gtest/gtest.h>

namespace nokv {
namespace {

TEST(Sha256Test, KnownDigests) {
  EXPECT_EQ(DigestHex(Sha256::Of("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(DigestHex(Sha256::Of("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, StreamingEqualsOneShotAndHasherIsReusable) {
  Sha256 h;
  h.Update("a");
  h.Update("bc");
  Digest first = h.Finish();
  EXPECT_EQ(first, Sha256::Of("abc"));
  h.Update("abc");
  EXPECT_EQ(h.Finish(), first);
}

TEST(Sha256Test, ParseHex) {
  Digest d = Sha256::Of("x");
  Digest parsed{};
  ASSERT_TRUE(ParseDigestHex(DigestHex(d), &parsed));
  EXPECT_EQ(parsed, d);
  EXPECT_FALSE(ParseDigestHex("abcd", &parsed));
}

}  // namespace
}  // namespace nokv
