// CSV bodies as records (RFC 4180). Internal to nokv_records; use ParseRecords.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace nokv::records {

// The header row names the fields (an empty name becomes "column_<n>", 1-based; duplicate
// names are an error). Every later non-blank row becomes an object: unquoted cells are typed
// (JSON numbers, true/false in any case), quoted cells stay strings, empty unquoted cells
// are left out, a short row leaves its missing fields out, a row longer than the header is
// an error. Line ends: LF, CRLF or CR; quoted cells may span lines and escape '"' as '""'.
Result<std::vector<nlohmann::json>> ParseCsvRecords(std::string_view body);

}  // namespace nokv::records
