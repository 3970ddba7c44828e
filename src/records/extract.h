// Extraction: the index row one rule produces from one file's records.
//
// For each field of the rule: every record that passes the field's filter contributes the
// values at its source (an array there contributes its elements). Values are coerced to the
// field type; one that does not convert is skipped and counted, never fatal. Then:
//   no reducer   all values, deduplicated, in order of first appearance, at most
//                kMaxValuesPerField
//   first/last   the first/last value;  min/max  by the typed-value order (value.h)
//   count        the number of records that had at least one value (0 when none did)
//   sum          the sum of the numeric values (absent when there were none)
//   flatten      every scalar leaf becomes "<id>.<dotted.key.path>" (at most
//                kMaxFlattenLeaves ids per field, kMaxFlattenDepth levels)
// Null values count as missing. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"
#include "records/format.h"
#include "records/row.h"
#include "records/rule.h"

namespace nokv::records {

inline constexpr size_t kMaxValuesPerField = 64;
inline constexpr size_t kMaxFlattenLeaves = 256;
inline constexpr int kMaxFlattenDepth = 32;

// What extraction dropped, so callers can surface it instead of staying silent.
struct ExtractReport {
  // Values that did not convert to their field type, were not scalars, were NaN, were not
  // numbers under sum, or whose flattened id was not a valid field id.
  size_t skipped_values = 0;
  // A cap was hit: values per field, flatten leaves or flatten depth.
  bool truncated = false;
  // The first problem in words ("field 'run.epochs', item 3: \"ten\" is not a number");
  // empty when nothing was skipped or truncated.
  std::string error;
};

// The row of `rule` for `records`; *report (optional) is reset and filled.
// InvalidArgument only for a rule that fails validation (a bad source path).
Result<Row> Extract(const IndexRule& rule, const Records& records, ExtractReport* report = nullptr);

// DetectFormat(file_name) + ParseRecords + Extract. FailedPrecondition when body.size() >
// rule.max_body_bytes (the body is not parsed); the parser's InvalidArgument, prefixed
// with `file_name`, for a malformed body.
Result<Row> ExtractFromBody(const IndexRule& rule, std::string_view file_name,
                            std::string_view body, ExtractReport* report = nullptr);

}  // namespace nokv::records
