// Content-addressed blocks: a body is split into fixed-size blocks (the last
// one shorter), each stored under a key derived from its SHA-256 digest:
//
//   blocks/<first 2 hex digits>/<64 hex digits>
//
// Identical blocks are stored once and every fetched whole block can be
// verified against its key. See docs/object-store.md.
//
// Plain value types; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/sha256.h"

namespace nokv::object {

inline constexpr uint64_t kDefaultBlockSize = uint64_t{4} << 20;  // 4 MiB
inline constexpr size_t kDefaultBlockConcurrency = 16;

struct BlockRef {
  Digest digest{};
  uint64_t length = 0;

  friend bool operator==(const BlockRef&, const BlockRef&) = default;
};

// What a BlockWriter produced: the body's digest and size and its blocks in
// order. Block i covers body bytes [sum of earlier lengths, + length).
struct BodyLayout {
  Digest digest{};  // SHA-256 of the whole body
  uint64_t size = 0;
  std::vector<BlockRef> blocks;

  friend bool operator==(const BodyLayout&, const BodyLayout&) = default;
};

// "blocks/ab/ab12...".
std::string BlockKey(const Digest& digest);
// Parses a key made by BlockKey; false for anything else.
bool ParseBlockKey(std::string_view key, Digest* digest);
// The distinct block keys of `layout`, in first-use order (what a publish
// passes to ObjectStore::Sync).
std::vector<std::string> BlockKeys(const BodyLayout& layout);

}  // namespace nokv::object
