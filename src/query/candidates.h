// Candidate selection for find/aggregate. Matches are index rows under the
// scope when the query involves an index field, otherwise the entries under
// the scope (a bounded tree walk, the only case where no index can answer).
//
// Index rows come from the ordered value index: the most selective indexed
// predicate (estimated by a bounded count of its key ranges) drives a range
// scan; the remaining predicates are checked on each candidate's merged row.
// Without an indexed predicate, the rows of every rule under the scope are
// the candidates. All reads use the invocation's pinned sequence.
//
// Used by the calling thread only.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "query/fields.h"
#include "query/predicate.h"

namespace nokv::query {

// Upper bound on the candidates one call checks (beyond: capped).
inline constexpr size_t kMaxCandidates = 200'000;

struct MatchPlan {
  std::string scope;
  std::vector<Predicate> predicates;
  std::set<std::string> wanted;  // fields each match must carry (predicates included)
  bool rows = true;              // index rows (true) or tree entries
};

struct MatchRow {
  std::string path;
  FieldValues values;
};

struct MatchStats {
  uint64_t candidates = 0;
  bool capped = false;
};

// Returns false to stop early.
using MatchVisitor = std::function<bool(MatchRow& row)>;

// Visits every match of `plan` in path order (rows) or walk order (entries).
VerbError ForEachMatch(const Invocation& inv, const FieldSet& fields, const MatchPlan& plan,
                       const MatchVisitor& visit, MatchStats* stats);

// The values `wanted` of the row (or entry) at `path`; *gone when a needed
// inode no longer exists.
VerbError LoadMatchRow(const FieldSet& fields, const std::set<std::string>& wanted,
                       std::string_view path, MatchRow* row, bool* gone);

// One key range of a field's value index.
struct ValueRange {
  std::string prefix;                      // keys start with it
  std::optional<std::string> start_after;  // exclusive lower bound
  std::optional<std::string> stop_after;   // keys above it end the range
};

// The ranges of (rule, field) that can hold values satisfying `p`; empty
// for operators that cannot drive a scan (ne, not_exists).
std::vector<ValueRange> RangesFor(const Predicate& p, std::string_view rule);

// Visits the (value, row path) entries of `ranges` in order (reverse: descending),
// at most `limit` entries; returns false from `visit` to stop.
VerbError ScanRanges(
    const Invocation& inv, const std::vector<ValueRange>& ranges, bool reverse, size_t limit,
    const std::function<bool(const records::TypedValue&, std::string_view)>& visit);

// The row paths under `scope` of every rule in `fields` (sorted, unique).
VerbError UniverseRows(const Invocation& inv, const FieldSet& fields, std::set<std::string>* out,
                       bool* capped);

}  // namespace nokv::query
