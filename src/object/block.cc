// Block keys, body digests, chunk checksums and layout validation.
#include "object/block.h"

#include <bit>
#include <set>

#include "common/crc32c.h"

namespace nokv::object {

namespace {

constexpr std::string_view kBlockPrefix = "blocks/";
constexpr std::string_view kBlockListDomain = "nokv-blocks-v1\n";

void AppendBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

}  // namespace

std::string BlockKey(const Digest& digest) {
  std::string hex = DigestHex(digest);
  std::string key;
  key.reserve(kBlockPrefix.size() + 3 + hex.size());
  key += kBlockPrefix;
  key += hex.substr(0, 2);
  key.push_back('/');
  key += hex;
  return key;
}

bool ParseBlockKey(std::string_view key, Digest* digest) {
  if (!key.starts_with(kBlockPrefix)) return false;
  key.remove_prefix(kBlockPrefix.size());
  if (key.size() != 3 + 64 || key[2] != '/') return false;
  std::string_view hex = key.substr(3);
  if (hex.substr(0, 2) != key.substr(0, 2)) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;  // lowercase only
  }
  return ParseDigestHex(hex, digest);
}

std::vector<std::string> BlockKeys(const BodyLayout& layout) {
  std::vector<std::string> keys;
  std::set<Digest> seen;
  for (const BlockRef& ref : layout.blocks) {
    if (seen.insert(ref.digest).second) keys.push_back(BlockKey(ref.digest));
  }
  return keys;
}

Digest BlockListDigest(uint64_t size, std::span<const BlockRef> blocks) {
  std::string input(kBlockListDomain);
  input.reserve(kBlockListDomain.size() + 16 + blocks.size() * 40);
  AppendBigEndian64(&input, size);
  AppendBigEndian64(&input, blocks.size());
  for (const BlockRef& ref : blocks) {
    input.append(reinterpret_cast<const char*>(ref.digest.data()), ref.digest.size());
    AppendBigEndian64(&input, ref.length);
  }
  return Sha256::Of(input);
}

void SetBodyDigest(BodyLayout* layout) {
  if (layout->blocks.size() >= 2) {
    layout->digest_kind = DigestKind::kBlockList;
    layout->digest = BlockListDigest(layout->size, layout->blocks);
    return;
  }
  layout->digest_kind = DigestKind::kSha256;
  layout->digest = layout->blocks.empty() ? Sha256::Of("") : layout->blocks[0].digest;
}

BodyDigester::BodyDigester(const BodyLayout& like)
    : kind_(like.digest_kind), block_size_(like.blocks.empty() ? 0 : like.blocks.front().length) {
  if (block_size_ == 0) kind_ = DigestKind::kSha256;
}

void BodyDigester::Update(std::string_view data) {
  size_ += data.size();
  if (kind_ == DigestKind::kSha256) {
    whole_.Update(data);
    return;
  }
  while (!data.empty()) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(block_size_ - in_block_, data.size()));
    block_.Update(data.substr(0, take));
    data.remove_prefix(take);
    in_block_ += take;
    if (in_block_ == block_size_) {
      blocks_.push_back({block_.Finish(), in_block_});  // Finish resets block_
      in_block_ = 0;
    }
  }
}

std::string BodyDigester::Finish() {
  BodyLayout layout;
  layout.size = size_;
  if (kind_ == DigestKind::kSha256) {
    layout.digest = whole_.Finish();
  } else {
    if (in_block_ > 0) blocks_.push_back({block_.Finish(), in_block_});
    layout.blocks = std::move(blocks_);
    SetBodyDigest(&layout);  // at most one block: the plain SHA-256
  }
  return BodyDigestString(layout);
}

std::string_view DigestKindName(DigestKind kind) {
  return kind == DigestKind::kBlockList ? "sha256-blocks" : "sha256";
}

std::optional<DigestKind> DigestKindFromName(std::string_view name) {
  for (DigestKind kind : {DigestKind::kSha256, DigestKind::kBlockList}) {
    if (DigestKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string BodyDigestString(const BodyLayout& layout) {
  return std::string(DigestKindName(layout.digest_kind)) + ":" + DigestHex(layout.digest);
}

uint64_t ChunkCount(uint64_t length, uint32_t chunk_size) {
  return length / chunk_size + (length % chunk_size != 0 ? 1 : 0);
}

bool ValidChunkSize(uint64_t chunk_size) {
  return std::has_single_bit(chunk_size) && chunk_size >= (uint64_t{1} << kMinChunkShift) &&
         chunk_size <= (uint64_t{1} << kMaxChunkShift);
}

void AppendChunkCrcs(std::string_view block, uint32_t chunk_size, std::vector<uint32_t>* out) {
  for (size_t pos = 0; pos < block.size(); pos += chunk_size) {
    out->push_back(crc32c::Value(block.substr(pos, chunk_size)));
  }
}

Status ValidateLayoutShape(const BodyLayout& layout) {
  uint64_t sum = 0, chunks = 0;
  for (const BlockRef& ref : layout.blocks) {
    if (ref.length == 0) return Status::InvalidArgument("a body layout has an empty block");
    if (ref.length > layout.size - sum) {
      return Status::InvalidArgument("block lengths exceed the body size");
    }
    sum += ref.length;
    if (layout.chunk_size != 0) chunks += ChunkCount(ref.length, layout.chunk_size);
  }
  if (sum != layout.size) {
    return Status::InvalidArgument("block lengths do not add up to the body size");
  }
  if (layout.chunk_size != 0 && !ValidChunkSize(layout.chunk_size)) {
    return Status::InvalidArgument("chunk size " + std::to_string(layout.chunk_size) +
                                   " is not a power of two from 16 bytes to 1 GiB");
  }
  if (layout.chunk_crcs.size() != chunks) {
    return Status::InvalidArgument("a body layout has " + std::to_string(layout.chunk_crcs.size()) +
                                   " chunk checksums for " + std::to_string(chunks) + " chunks");
  }
  return Status::Ok();
}

Status ValidateLayout(const BodyLayout& layout) {
  NOKV_RETURN_IF_ERROR(ValidateLayoutShape(layout));
  if (layout.digest_kind == DigestKind::kBlockList) {
    if (layout.blocks.size() < 2) {
      return Status::InvalidArgument("a block-list digest needs at least two blocks");
    }
    if (layout.digest != BlockListDigest(layout.size, layout.blocks)) {
      return Status::InvalidArgument("the body digest is not the digest of its block list");
    }
  } else if (layout.digest_kind != DigestKind::kSha256) {
    return Status::InvalidArgument("unknown body digest kind");
  } else if (layout.blocks.size() == 1 && layout.digest != layout.blocks[0].digest) {
    return Status::InvalidArgument("the digest of a one-block body is not its block's");
  }
  return Status::Ok();
}

}  // namespace nokv::object
