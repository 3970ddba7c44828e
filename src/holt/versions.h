// Version-chain rules: which record a reader at sequence S sees, and which
// records no reader can see any more.
//
// A reader at S sees the newest record with seq <= S, unless it is a
// tombstone. An older record r, whose next newer record (in the chain as it
// was written) is n, is visible exactly to the sequences in [r.seq, n.seq);
// it may be freed when no pin falls into that range. Readers only ever read at
// pinned sequences or at the visible sequence, which the pruner counts as a
// pin, so this is exact, not a heuristic.
#pragma once

#include <cstdint>
#include <span>

#include "holt/record.h"
#include "holt/record_arena.h"

namespace nokv::holt {

// The record a reader at `seq` sees, or nullptr (absent or deleted).
inline const Record* VisibleAt(const Record* head, uint64_t seq) {
  while (head != nullptr && head->seq > seq) head = head->older;
  return (head == nullptr || head->tombstone()) ? nullptr : head;
}

struct PruneResult {
  uint64_t records = 0;
  uint64_t bytes = 0;
};

// Frees (into `arena`) the records below `head` that no sequence in `pins`
// (sorted ascending) can see. `head` itself always stays.
PruneResult PruneChain(Record* head, std::span<const uint64_t> pins, RecordArena* arena);

// True when some pin p satisfies lo <= p < hi.
bool AnyPinIn(std::span<const uint64_t> pins, uint64_t lo, uint64_t hi);

}  // namespace nokv::holt
