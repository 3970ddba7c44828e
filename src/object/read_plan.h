// ReadPlan: turns byte ranges of a body into fetches of block ranges.
//
// Each requested range is split at block boundaries; the pieces that fall in
// one block are merged when they overlap or lie within `coalesce_gap` bytes of
// each other, and a fetch that would cover at least `whole_block_fraction` of
// its block becomes a whole-block fetch (whole blocks are digest-verified).
// Pure computation, no I/O; plain value types.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "object/block.h"
#include "object/object_store.h"

namespace nokv::object {

struct ReadPlanOptions {
  uint64_t coalesce_gap = uint64_t{64} << 10;
  double whole_block_fraction = 0.5;
};

// One GET: a range of one block.
struct BlockFetch {
  size_t block = 0;     // index into BodyLayout::blocks
  uint64_t offset = 0;  // within the block
  uint64_t length = 0;
  bool whole = false;  // the whole block: verify its digest
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
  std::vector<BlockFetch> fetches;  // ordered by block, then offset
  std::vector<ReadPiece> pieces;
  std::vector<uint64_t> request_sizes;  // each request clipped to the body
};

// `block_starts[i]` is the body offset of block i (ascending, block_starts[0]
// == 0); `body_size` the body length.
ReadPlan PlanReads(std::span<const BlockRef> blocks, std::span<const uint64_t> block_starts,
                   uint64_t body_size, std::span<const ByteRange> requests,
                   const ReadPlanOptions& options);

}  // namespace nokv::object
