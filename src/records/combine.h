// CombineRows: the row of a `target: parent` rule, reduced from the rows its covered files
// contributed (one row per file; docs/index-rules.md, "Rows of several files").
//
// Contributions are taken in the order given (the metadata layer passes them in file-name
// order). Per field: a field with a first/last/min/max reducer keeps the first/last/least/
// greatest contributed value; count and sum add up; every other field (no reducer,
// flatten-generated ids, `_error`, `_warning`) is the union of the contributed values,
// deduplicated, in order of first appearance, at most kMaxValuesPerField. A single
// contribution comes back unchanged. Pure; thread-safe.
#pragma once

#include <vector>

#include "records/row.h"
#include "records/rule.h"

namespace nokv::records {

Row CombineRows(const IndexRule& rule, const std::vector<const Row*>& contributions);

}  // namespace nokv::records
