// PlanReads implementation.
#include "object/read_plan.h"

#include <algorithm>

namespace nokv::object {
namespace {

// A requested range restricted to one block.
struct Segment {
  size_t block;
  uint64_t offset;  // within the block
  uint64_t length;
  size_t request;
  uint64_t request_offset;
};

void SplitRequest(std::span<const BlockRef> blocks, std::span<const uint64_t> starts,
                  uint64_t begin, uint64_t end, size_t request, std::vector<Segment>* out) {
  // The block holding `begin`: the last start <= begin.
  size_t block =
      static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), begin) - starts.begin()) -
      1;
  uint64_t pos = begin;
  while (pos < end && block < blocks.size()) {
    uint64_t block_end = starts[block] + blocks[block].length;
    uint64_t piece_end = std::min(end, block_end);
    if (piece_end > pos) {
      out->push_back(Segment{block, pos - starts[block], piece_end - pos, request, pos - begin});
    }
    pos = piece_end;
    ++block;
  }
}

// The span of block `length` bytes long that a fetch of `seg` must cover.
BlockFetch FetchFor(const Segment& seg, uint64_t block_length, uint32_t chunk_size) {
  if (chunk_size == 0) return BlockFetch{seg.block, 0, block_length};
  uint64_t begin = seg.offset / chunk_size * chunk_size;
  uint64_t end =
      std::min(block_length, (seg.offset + seg.length + chunk_size - 1) / chunk_size * chunk_size);
  return BlockFetch{seg.block, begin, end - begin};
}

}  // namespace

ReadPlan PlanReads(std::span<const BlockRef> blocks, std::span<const uint64_t> block_starts,
                   uint64_t body_size, uint32_t chunk_size, std::span<const ByteRange> requests) {
  ReadPlan plan;
  std::vector<Segment> segments;
  for (size_t r = 0; r < requests.size(); ++r) {
    auto [begin, end] = ClipRange(requests[r], body_size);
    plan.request_sizes.push_back(end - begin);
    if (begin < end) SplitRequest(blocks, block_starts, begin, end, r, &segments);
  }
  std::sort(segments.begin(), segments.end(), [](const Segment& a, const Segment& b) {
    return a.block != b.block ? a.block < b.block : a.offset < b.offset;
  });
  for (const Segment& seg : segments) {
    BlockFetch want = FetchFor(seg, blocks[seg.block].length, chunk_size);
    BlockFetch* last = plan.fetches.empty() ? nullptr : &plan.fetches.back();
    if (last != nullptr && last->block == seg.block && want.offset <= last->offset + last->length) {
      uint64_t end = std::max(last->offset + last->length, want.offset + want.length);
      last->length = end - last->offset;  // overlaps or touches: extend it
    } else {
      plan.fetches.push_back(want);
    }
    const BlockFetch& fetch = plan.fetches.back();
    plan.pieces.push_back(ReadPiece{seg.request, seg.request_offset, plan.fetches.size() - 1,
                                    seg.offset - fetch.offset, seg.length});
  }
  return plan;
}

}  // namespace nokv::object
