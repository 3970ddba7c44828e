// Ordering and projection of find matches: sort keys with the typed order
// (rows missing a sort field last in either direction; a multi-valued field
// sorts by its lowest value ascending and its highest descending; ties by
// path), a bounded top-k heap, and value projection.
//
// Plain values; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "query/candidates.h"

namespace nokv::query {

struct SortKey {
  std::string field;
  bool desc = false;
};

// True when `a` comes before `b`.
bool ComesBefore(const std::vector<SortKey>& keys, const MatchRow& a, const MatchRow& b);

// Keeps the first `k` rows in sort order among everything offered.
class TopK {
 public:
  TopK(std::vector<SortKey> keys, size_t k) : keys_(std::move(keys)), k_(k) {}
  void Offer(MatchRow row);
  // The kept rows in order (consumes them).
  std::vector<MatchRow> Take();

 private:
  std::vector<SortKey> keys_;
  size_t k_;
  std::vector<MatchRow> heap_;  // max-heap by order: the last-ranked row on top
};

// Projection: exact ids and "prefix.*" patterns.
struct Projection {
  std::vector<std::string> ids;
  std::vector<std::string> prefixes;  // with the trailing '.'
  bool Wants(std::string_view id) const;
};

}  // namespace nokv::query
