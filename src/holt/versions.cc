// Pruning of version chains against a sorted pin set.
#include "holt/versions.h"

#include <algorithm>

namespace nokv::holt {

bool AnyPinIn(std::span<const uint64_t> pins, uint64_t lo, uint64_t hi) {
  auto it = std::lower_bound(pins.begin(), pins.end(), lo);
  return it != pins.end() && *it < hi;
}

PruneResult PruneChain(Record* head, std::span<const uint64_t> pins, RecordArena* arena) {
  PruneResult freed;
  Record* kept = head;             // last record that stays in the chain
  uint64_t newer_seq = head->seq;  // seq of the next newer record as written
  Record* r = head->older;
  while (r != nullptr) {
    Record* next = r->older;
    uint64_t seq = r->seq;
    if (AnyPinIn(pins, seq, newer_seq)) {
      kept->older = r;
      kept = r;
    } else {
      freed.records++;
      freed.bytes += r->footprint();
      arena->Free(r);
    }
    newer_seq = seq;
    r = next;
  }
  kept->older = nullptr;
  return freed;
}

}  // namespace nokv::holt
