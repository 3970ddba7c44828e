// Manifest values: version 1 (whole-body SHA-256, no chunk checksums) and
// version 2 (flags for a block-list digest and per-chunk CRC32Cs).
// docs/formats/meta-keys.md, `m` manifest.
#include <bit>
#include <cstring>

#include "common/coding.h"
#include "meta/codec.h"

namespace nokv::meta {
namespace {

// Flag bits of the manifest value.
constexpr uint8_t kSharedDigest = 1;     // the body digest is its only block's digest
constexpr uint8_t kBlockListDigest = 2;  // version 2: the body digest is derived, not stored
constexpr uint8_t kChunkCrcs = 4;        // version 2: chunk shift and per-block CRCs follow
constexpr uint8_t kKnownFlags = kSharedDigest | kBlockListDigest | kChunkCrcs;
// A block entry is at least a digest and a one-byte length.
constexpr size_t kMinBlockEntry = 33;

Status Bad() { return Status::Corruption("bad manifest value"); }

void PutDigest(std::string* dst, const Digest& digest) {
  dst->append(reinterpret_cast<const char*>(digest.data()), digest.size());
}

bool GetDigest(Decoder* d, Digest* digest) {
  std::string_view bytes;
  if (!d->GetBytes(digest->size(), &bytes)) return false;
  std::memcpy(digest->data(), bytes.data(), digest->size());
  return true;
}

// Reads `count` chunk CRCs; false when fewer bytes than that remain.
bool GetCrcs(Decoder* d, uint64_t count, std::vector<uint32_t>* crcs) {
  if (count > d->remaining() / 4) return false;
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t crc = 0;
    if (!d->GetFixed32(&crc)) return false;
    crcs->push_back(crc);
  }
  return true;
}

}  // namespace

std::string EncodeManifest(const Manifest& m) {
  const object::BodyLayout& layout = m.layout;
  bool block_list = layout.digest_kind == object::DigestKind::kBlockList;
  bool crcs = layout.has_chunk_crcs();
  bool shared =
      !block_list && layout.blocks.size() == 1 && layout.blocks[0].digest == layout.digest;
  uint8_t version = block_list || crcs ? kManifestVersion : kValueVersion;
  uint8_t flags =
      (shared ? kSharedDigest : 0) | (block_list ? kBlockListDigest : 0) | (crcs ? kChunkCrcs : 0);
  std::string v(1, static_cast<char>(version));
  v.push_back(static_cast<char>(flags));
  PutVarint64(&v, layout.size);
  PutLengthPrefixed(&v, m.content_type);
  PutLengthPrefixed(&v, m.producer);
  if (!shared && !block_list) PutDigest(&v, layout.digest);
  if (crcs) v.push_back(static_cast<char>(std::countr_zero(layout.chunk_size)));
  PutVarint64(&v, layout.blocks.size());
  size_t next_crc = 0;
  for (const auto& b : layout.blocks) {
    PutDigest(&v, b.digest);
    PutVarint64(&v, b.length);
    if (!crcs) continue;
    uint64_t count = object::ChunkCount(b.length, layout.chunk_size);
    for (uint64_t i = 0; i < count; ++i) PutFixed32(&v, layout.chunk_crcs[next_crc++]);
  }
  return v;
}

Result<Manifest> DecodeManifest(std::string_view value) {
  Decoder d(value);
  Manifest m;
  object::BodyLayout& layout = m.layout;
  uint8_t version = 0, flags = 0;
  std::string_view content_type, producer;
  if (!d.GetFixed8(&version) || (version != kValueVersion && version != kManifestVersion) ||
      !d.GetFixed8(&flags) || !d.GetVarint64(&layout.size) || !d.GetLengthPrefixed(&content_type) ||
      !d.GetLengthPrefixed(&producer)) {
    return Bad();
  }
  m.content_type = content_type;
  m.producer = producer;
  uint8_t known = version == kValueVersion ? kSharedDigest : kKnownFlags;
  bool shared = (flags & kSharedDigest) != 0;
  bool block_list = (flags & kBlockListDigest) != 0;
  bool crcs = (flags & kChunkCrcs) != 0;
  if ((flags & ~known) != 0 || (shared && block_list)) return Bad();
  if (!shared && !block_list && !GetDigest(&d, &layout.digest)) return Bad();
  if (crcs) {
    uint8_t shift = 0;
    if (!d.GetFixed8(&shift) || shift < object::kMinChunkShift || shift > object::kMaxChunkShift) {
      return Bad();
    }
    layout.chunk_size = uint32_t{1} << shift;
  }
  uint64_t blocks = 0;
  if (!d.GetVarint64(&blocks) || blocks > d.remaining() / kMinBlockEntry ||
      (shared && blocks != 1) || (block_list && blocks < 2)) {
    return Bad();
  }
  layout.blocks.reserve(blocks);
  for (uint64_t i = 0; i < blocks; ++i) {
    object::BlockRef b;
    if (!GetDigest(&d, &b.digest) || !d.GetVarint64(&b.length)) return Bad();
    if (crcs && !GetCrcs(&d, object::ChunkCount(b.length, layout.chunk_size), &layout.chunk_crcs)) {
      return Bad();
    }
    layout.blocks.push_back(b);
  }
  if (!d.empty()) return Bad();
  if (shared) layout.digest = layout.blocks[0].digest;
  if (block_list) {
    layout.digest_kind = object::DigestKind::kBlockList;
    layout.digest = object::BlockListDigest(layout.size, layout.blocks);
  }
  return m;
}

}  // namespace nokv::meta
