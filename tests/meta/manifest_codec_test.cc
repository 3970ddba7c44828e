// Manifest values (docs/formats/meta-keys.md, `m`): version 1 as written
// before issue #13 (whole-body SHA-256, no chunk checksums) still decodes and
// is still written for such layouts; version 2 carries a block-list digest
// (not stored, derived) and per-chunk CRC32Cs; damaged values are Corruption.
#include <gtest/gtest.h>

#include "common/coding.h"
#include "common/sha256.h"
#include "meta/codec.h"

namespace nokv::meta {
namespace {

std::string Raw(const Digest& d) {
  return std::string(reinterpret_cast<const char*>(d.data()), 32);
}

// Two blocks (4 + 6 bytes), written with chunk checksums of 16-byte chunks.
Manifest ChunkedManifest() {
  Manifest m;
  m.content_type = "text/plain";
  m.producer = "test";
  m.layout.size = 10;
  m.layout.blocks = {{Sha256::Of("abcd"), 4}, {Sha256::Of("efghij"), 6}};
  m.layout.chunk_size = 16;
  m.layout.chunk_crcs = {0x11223344u, 0xaabbccddu};
  object::SetBodyDigest(&m.layout);
  return m;
}

TEST(ManifestCodecTest, VersionOneValuesStillDecode) {
  // A two-block manifest as NoKV wrote it before issue #13.
  Digest body = Sha256::Of("abcdefghij");
  std::string v("\x01\x00", 2);
  PutVarint64(&v, 10);
  PutLengthPrefixed(&v, "text/plain");
  PutLengthPrefixed(&v, "");
  v += Raw(body);
  PutVarint64(&v, 2);
  v += Raw(Sha256::Of("abcd"));
  PutVarint64(&v, 4);
  v += Raw(Sha256::Of("efghij"));
  PutVarint64(&v, 6);
  auto m = DecodeManifest(v);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->layout.digest, body);
  EXPECT_EQ(m->layout.digest_kind, object::DigestKind::kSha256);
  EXPECT_FALSE(m->layout.has_chunk_crcs());
  EXPECT_TRUE(m->layout.chunk_crcs.empty());
  ASSERT_EQ(m->layout.blocks.size(), 2u);
  EXPECT_EQ(m->layout.blocks[1].length, 6u);
  EXPECT_EQ(m->content_type, "text/plain");
  // Such a layout is written back byte for byte as version 1.
  EXPECT_EQ(EncodeManifest(*m), v);
}

TEST(ManifestCodecTest, VersionOneSharedDigestStillDecodes) {
  std::string v("\x01\x01", 2);
  PutVarint64(&v, 4);
  PutLengthPrefixed(&v, "");
  PutLengthPrefixed(&v, "");
  PutVarint64(&v, 1);
  v += Raw(Sha256::Of("abcd"));
  PutVarint64(&v, 4);
  auto m = DecodeManifest(v);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->layout.digest, Sha256::Of("abcd"));
  EXPECT_EQ(EncodeManifest(*m), v);
}

TEST(ManifestCodecTest, VersionTwoRoundTripsWithoutStoringTheDerivedDigest) {
  Manifest m = ChunkedManifest();
  ASSERT_EQ(m.layout.digest_kind, object::DigestKind::kBlockList);
  std::string v = EncodeManifest(m);
  EXPECT_EQ(static_cast<uint8_t>(v[0]), kManifestVersion);
  EXPECT_EQ(static_cast<uint8_t>(v[1]), 2 | 4);  // block-list digest, chunk checksums
  // version, flags, size, two strings, shift, count, 2 x (digest, length, one CRC)
  EXPECT_EQ(v.size(), 1 + 1 + 1 + 11 + 5 + 1 + 1 + 2 * (32 + 1 + 4));
  EXPECT_EQ(v.find(Raw(m.layout.digest)), std::string::npos);
  auto back = DecodeManifest(v);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->layout, m.layout);
  EXPECT_EQ(back->content_type, "text/plain");
  EXPECT_EQ(back->producer, "test");
}

TEST(ManifestCodecTest, OneBlockWithChecksumsSharesItsDigest) {
  Manifest m;
  m.layout.size = 40;
  m.layout.blocks = {{Sha256::Of("forty"), 40}};
  m.layout.chunk_size = 16;
  m.layout.chunk_crcs = {1, 2, 3};
  object::SetBodyDigest(&m.layout);
  std::string v = EncodeManifest(m);
  EXPECT_EQ(static_cast<uint8_t>(v[1]), 1 | 4);
  auto back = DecodeManifest(v);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->layout, m.layout);
}

TEST(ManifestCodecTest, TruncatedChecksumListIsCorruption) {
  std::string v = EncodeManifest(ChunkedManifest());
  for (size_t cut = 1; cut <= 4; ++cut) {
    auto m = DecodeManifest(v.substr(0, v.size() - cut));
    EXPECT_TRUE(m.status().Is(Code::kCorruption)) << cut << ": " << m.status().ToString();
  }
  // A block length that asks for more CRCs than the value holds.
  Manifest big = ChunkedManifest();
  big.layout.blocks[1].length = 6 + 16;
  big.layout.size = 26;
  big.layout.chunk_crcs.push_back(7);
  object::SetBodyDigest(&big.layout);
  std::string bytes = EncodeManifest(big);
  bytes.resize(bytes.size() - 4);  // drop the last block's second CRC
  EXPECT_TRUE(DecodeManifest(bytes).status().Is(Code::kCorruption));
  EXPECT_TRUE(DecodeManifest(bytes + "xyz").status().Is(Code::kCorruption));
}

TEST(ManifestCodecTest, MalformedFlagsAndVersionsAreCorruption) {
  std::string v = EncodeManifest(ChunkedManifest());
  auto with = [&](size_t at, uint8_t byte) {
    std::string copy = v;
    copy[at] = static_cast<char>(byte);
    return DecodeManifest(copy).status();
  };
  EXPECT_TRUE(with(0, 3).Is(Code::kCorruption));          // unknown version
  EXPECT_TRUE(with(0, 1).Is(Code::kCorruption));          // v2 flags in a v1 value
  EXPECT_TRUE(with(1, 2 | 4 | 8).Is(Code::kCorruption));  // unknown flag bit
  EXPECT_TRUE(with(1, 1 | 2 | 4).Is(Code::kCorruption));  // shared and derived at once
  size_t shift_at = 1 + 1 + 1 + 11 + 5;
  ASSERT_EQ(static_cast<uint8_t>(v[shift_at]), 4);  // 16-byte chunks
  EXPECT_TRUE(with(shift_at, 3).Is(Code::kCorruption));
  EXPECT_TRUE(with(shift_at, 31).Is(Code::kCorruption));
  // A block-list digest needs two blocks.
  Manifest one;
  one.layout.size = 4;
  one.layout.blocks = {{Sha256::Of("abcd"), 4}};
  one.layout.chunk_size = 16;
  one.layout.chunk_crcs = {9};
  object::SetBodyDigest(&one.layout);
  std::string bytes = EncodeManifest(one);
  bytes[1] = static_cast<char>(2 | 4);
  EXPECT_TRUE(DecodeManifest(bytes).status().Is(Code::kCorruption));
}

}  // namespace
}  // namespace nokv::meta
