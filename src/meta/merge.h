// The metadata layer's Holt merge operator: commutative updates computed in
// commit order, so concurrent writers in one directory (or sharing a block)
// never conflict on the shared key.
//
//   directory inode:  child count delta, link count delta, new mtime/ctime
//   block reference:  count delta; a positive delta on a block the GC has
//                     claimed fails (retry later), on a collected block fails,
//                     unless it revives it (the writer found the object in the
//                     store and guards the marker's version)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "meta/types.h"

namespace nokv::meta {

std::string DirUpdateOperand(int64_t child_delta, int64_t nlink_delta, int64_t time_ns);
// A directory moved: also records its new parent and name.
std::string DirMoveOperand(int64_t child_delta, int64_t nlink_delta, int64_t time_ns,
                           InodeId new_parent, std::string_view new_name);
// Filesystem totals (the statfs figures), kept under one merged key.
std::string TotalsOperand(int64_t files, int64_t directories, int64_t symlinks, int64_t bytes);
inline constexpr std::string_view kTotalsKey = "c/totals";
struct Totals {
  int64_t files = 0, directories = 0, symlinks = 0, bytes = 0;
};
// The value of kTotalsKey (what the `T` operand merges into).
std::string EncodeTotals(const Totals& totals);
Totals DecodeTotals(std::string_view value);
std::string BlockDeltaOperand(int64_t delta, bool revive);
// Raises a counter (kept as fixed64) to at least `value`.
std::string HighWaterOperand(uint64_t value);

// The holt::MergeOperator of the metadata engine.
Result<std::string> MetaMerge(std::string_view key, const std::string_view* existing,
                              std::string_view operand, uint64_t seq);

}  // namespace nokv::meta
