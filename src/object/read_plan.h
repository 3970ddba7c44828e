// ReadPlan: turns byte ranges of a body into fetches of block ranges.
//
// Each requested range is split at block boundaries. Without chunk checksums
// every block any range touches is fetched once, whole (only a whole block
// can be verified against its digest). With chunk checksums (`chunk_size` !=
// 0) a fetch covers only the chunks the pieces of that block touch: pieces
// whose chunk-aligned spans overlap or touch share one fetch, so two reads
// far apart in one block are two small fetches, not one large one. Each piece
// of a range is a slice of one fetch. Pure computation, no I/O; plain value
// types.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "object/block.h"
#include "object/object_store.h"

namespace nokv::object {

// One GET: bytes [offset, offset + length) of a block, chunk-aligned (the end
// may be the block's end); the whole block without chunk checksums.
struct BlockFetch {
  size_t block = 0;  // index into BodyLayout::blocks
  uint64_t offset = 0;
  uint64_t length = 0;

  friend bool operator==(const BlockFetch&, const BlockFetch&) = default;
};

// Where a slice of a fetch lands in the output of a request.
struct ReadPiece {
  size_t request = 0;
  uint64_t request_offset = 0;  // offset in that request's output
  size_t fetch = 0;             // index into ReadPlan::fetches
  uint64_t fetch_offset = 0;    // offset in that fetch's bytes
  uint64_t length = 0;
};

struct ReadPlan {
  std::vector<BlockFetch> fetches;  // ascending by (block, offset), disjoint
  std::vector<ReadPiece> pieces;
  std::vector<uint64_t> request_sizes;  // each request clipped to the body
};

// `block_starts[i]` is the body offset of block i (ascending, block_starts[0]
// == 0); `body_size` the body length; `chunk_size` the layout's chunk size
// (0: whole-block fetches).
ReadPlan PlanReads(std::span<const BlockRef> blocks, std::span<const uint64_t> block_starts,
                   uint64_t body_size, uint32_t chunk_size, std::span<const ByteRange> requests);

}  // namespace nokv::object
