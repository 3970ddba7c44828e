// ReadPlan: turns byte ranges of a body into fetches of whole blocks.
//
// Each requested range is split at block boundaries; every block that any
// range touches is fetched once, whole (so it can be verified against its
// digest before a byte of it is returned), and each piece of a range is a
// slice of its block's fetch. Pure computation, no I/O; plain value types.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "object/block.h"
#include "object/object_store.h"

namespace nokv::object {

// One GET: a whole block.
struct BlockFetch {
  size_t block = 0;  // index into BodyLayout::blocks
};

// Where a slice of a fetched block lands in the output of a request.
struct ReadPiece {
  size_t request = 0;
  uint64_t request_offset = 0;  // offset in that request's output
  size_t fetch = 0;             // index into ReadPlan::fetches
  uint64_t fetch_offset = 0;    // offset in that block
  uint64_t length = 0;
};

struct ReadPlan {
  std::vector<BlockFetch> fetches;  // distinct blocks, ascending
  std::vector<ReadPiece> pieces;
  std::vector<uint64_t> request_sizes;  // each request clipped to the body
};

// `block_starts[i]` is the body offset of block i (ascending, block_starts[0]
// == 0); `body_size` the body length.
ReadPlan PlanReads(std::span<const BlockRef> blocks, std::span<const uint64_t> block_starts,
                   uint64_t body_size, std::span<const ByteRange> requests);

}  // namespace nokv::object
