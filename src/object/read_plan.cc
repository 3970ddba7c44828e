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

// Appends the fetches for the segments of one block ([first, last) in
// `segments`, sorted by offset) and the pieces that read from them.
void PlanBlock(const BlockRef& ref, std::span<const Segment> segments,
               const ReadPlanOptions& options, ReadPlan* plan) {
  std::vector<BlockFetch> groups;
  for (const Segment& seg : segments) {
    uint64_t seg_end = seg.offset + seg.length;
    if (!groups.empty() &&
        seg.offset <= groups.back().offset + groups.back().length + options.coalesce_gap) {
      BlockFetch& g = groups.back();
      g.length = std::max(g.offset + g.length, seg_end) - g.offset;
    } else {
      groups.push_back(BlockFetch{seg.block, seg.offset, seg.length, false});
    }
  }
  uint64_t covered = 0;
  for (const BlockFetch& g : groups) covered += g.length;
  if (static_cast<double>(covered) >=
      options.whole_block_fraction * static_cast<double>(ref.length)) {
    groups.assign(1, BlockFetch{segments.front().block, 0, ref.length, true});
  }
  size_t base = plan->fetches.size();
  plan->fetches.insert(plan->fetches.end(), groups.begin(), groups.end());
  size_t g = 0;
  for (const Segment& seg : segments) {
    while (seg.offset >= groups[g].offset + groups[g].length) ++g;
    plan->pieces.push_back(ReadPiece{seg.request, seg.request_offset, base + g,
                                     seg.offset - groups[g].offset, seg.length});
  }
}

}  // namespace

ReadPlan PlanReads(std::span<const BlockRef> blocks, std::span<const uint64_t> block_starts,
                   uint64_t body_size, std::span<const ByteRange> requests,
                   const ReadPlanOptions& options) {
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
  size_t first = 0;
  while (first < segments.size()) {
    size_t last = first;
    while (last < segments.size() && segments[last].block == segments[first].block) ++last;
    PlanBlock(blocks[segments[first].block],
              std::span<const Segment>(segments.data() + first, last - first), options, &plan);
    first = last;
  }
  return plan;
}

}  // namespace nokv::object
