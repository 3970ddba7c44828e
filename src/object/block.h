// Content-addressed blocks: a body is split into fixed-size blocks (the last
// one shorter), each stored under a key derived from its SHA-256 digest:
//
//   blocks/<first 2 hex digits>/<64 hex digits>
//
// Identical blocks are stored once and every fetched whole block can be
// verified against its key. A body's layout also carries a CRC32C of every
// chunk (64 KiB by default) of every block, so a read of a few kilobytes
// fetches and checks only the chunks it needs. See docs/object-store.md.
//
// Plain value types and pure functions; no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/sha256.h"
#include "common/status.h"

namespace nokv::object {

inline constexpr uint64_t kDefaultBlockSize = uint64_t{4} << 20;  // 4 MiB
inline constexpr size_t kDefaultBlockConcurrency = 16;
// Chunk checksums: one CRC32C per this many bytes of a block.
inline constexpr uint32_t kDefaultChunkSize = uint32_t{64} << 10;  // 64 KiB
// Chunk sizes are powers of two from 16 bytes to 1 GiB (stored as the shift).
inline constexpr int kMinChunkShift = 4;
inline constexpr int kMaxChunkShift = 30;

struct BlockRef {
  Digest digest{};
  uint64_t length = 0;

  friend bool operator==(const BlockRef&, const BlockRef&) = default;
};

// What BodyLayout::digest is a digest of (docs/object-store.md, "Body
// digests").
enum class DigestKind : uint8_t {
  // SHA-256 of the body's bytes: every body of at most one block, and every
  // body written before issue #13.
  kSha256 = 0,
  // BlockListDigest of the layout: bodies of two or more blocks written
  // since issue #13 (the body is hashed once, block by block, in parallel).
  kBlockList = 1,
};

// What a BlockWriter produced: the body's digest and size, its blocks in
// order, and the chunk checksums of every block.
//
// Invariants (ValidateLayout): the block lengths add up to `size`, no block is
// empty; with `chunk_size` != 0 it is a power of two in range and
// `chunk_crcs` holds ChunkCount(length, chunk_size) CRCs per block, blocks in
// order; with kBlockList there are at least two blocks and `digest` equals
// BlockListDigest(size, blocks).
struct BodyLayout {
  Digest digest{};
  DigestKind digest_kind = DigestKind::kSha256;
  uint64_t size = 0;
  std::vector<BlockRef> blocks;
  // CRC32C (unmasked) of each chunk_size piece of each block, the last piece
  // of a block shorter. 0 = no chunk checksums (bodies written before issue
  // #13): readers verify such blocks whole against their SHA-256.
  uint32_t chunk_size = 0;
  std::vector<uint32_t> chunk_crcs;

  bool has_chunk_crcs() const { return chunk_size != 0; }

  friend bool operator==(const BodyLayout&, const BodyLayout&) = default;
};

// "blocks/ab/ab12...".
std::string BlockKey(const Digest& digest);
// Parses a key made by BlockKey; false for anything else.
bool ParseBlockKey(std::string_view key, Digest* digest);
// The distinct block keys of `layout`, in first-use order (what a publish
// passes to ObjectStore::Sync).
std::vector<std::string> BlockKeys(const BodyLayout& layout);

// The kBlockList digest of a body of `size` bytes made of `blocks`:
//   SHA-256("nokv-blocks-v1\n" || be64(size) || be64(block count) ||
//           for each block: digest (32 bytes) || be64(length))
Digest BlockListDigest(uint64_t size, std::span<const BlockRef> blocks);

// Sets layout->digest and digest_kind from its blocks, as writers do: with at
// most one block the SHA-256 of the body (the block's digest, or of no bytes),
// otherwise the block-list digest.
void SetBodyDigest(BodyLayout* layout);

// Computes, over bytes fed in order, the digest a stored body of those bytes
// would carry under `like`'s definition: the plain SHA-256 for kSha256, the
// block-list digest over blocks of `like`'s block size for kBlockList. Used
// to tell whether a local file still has a stored body's content without
// reading the body. Plain value; one thread at a time.
class BodyDigester {
 public:
  explicit BodyDigester(const BodyLayout& like);
  void Update(std::string_view data);
  // BodyDigestString form ("sha256:..." or "sha256-blocks:...").
  std::string Finish();

 private:
  DigestKind kind_;
  uint64_t block_size_;
  Sha256 whole_;  // kSha256
  Sha256 block_;  // kBlockList: the block being filled
  uint64_t in_block_ = 0;
  uint64_t size_ = 0;
  std::vector<BlockRef> blocks_;
};

// "sha256" or "sha256-blocks": how stat and the verbs label the digest.
std::string_view DigestKindName(DigestKind kind);
// The kind DigestKindName names; nullopt for any other text.
std::optional<DigestKind> DigestKindFromName(std::string_view name);
// "<kind name>:<64 hex digits>".
std::string BodyDigestString(const BodyLayout& layout);

// Chunks of a block of `length` bytes: ceil(length / chunk_size).
uint64_t ChunkCount(uint64_t length, uint32_t chunk_size);
// True for a power of two from 2^kMinChunkShift to 2^kMaxChunkShift.
bool ValidChunkSize(uint64_t chunk_size);
// Appends the CRC32C of each chunk of `block` to *out.
void AppendChunkCrcs(std::string_view block, uint32_t chunk_size, std::vector<uint32_t>* out);

// InvalidArgument naming the first broken invariant of `layout` (see
// BodyLayout), OK otherwise. Bodies from outside (a publish over RPC) are
// checked before they are stored. A kSha256 digest of a one-block body must
// be that block's digest; one of more blocks cannot be checked without the
// bytes, and an empty body's digest is not checked (writers of empty files
// leave it zero).
Status ValidateLayout(const BodyLayout& layout);
// The part of ValidateLayout that needs no hashing: lengths, chunk size and
// checksum count. Readers check it before trusting a layout's offsets.
Status ValidateLayoutShape(const BodyLayout& layout);

}  // namespace nokv::object
