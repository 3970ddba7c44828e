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

}  // namespace

ReadPlan PlanReads(std::span<const BlockRef> blocks, std::span<const uint64_t> block_starts,
                   uint64_t body_size, std::span<const ByteRange> requests) {
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
    if (plan.fetches.empty() || plan.fetches.back().block != seg.block) {
      plan.fetches.push_back(BlockFetch{seg.block});
    }
    plan.pieces.push_back(ReadPiece{seg.request, seg.request_offset, plan.fetches.size() - 1,
                                    seg.offset, seg.length});
  }
  return plan;
}

}  // namespace nokv::object
