// Row: the values one index rule extracted for one row path, and its stored encoding (the
// value of a meta `f` key).
//
// Row encoding, version 1 (docs/index-rules.md, "Row encoding"):
//   0x01 | varint32 field count | per field, in id order:
//     varint32 id length, id bytes | varint32 value count | values in EncodeOrdered form
// Plain values; functions are pure and thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "records/value.h"

namespace nokv::records {

struct Row {
  // Field id -> its values (at least one each; order as extracted). No null values.
  std::map<std::string, std::vector<TypedValue>> fields;
  bool operator==(const Row&) const = default;
};

inline constexpr char kRowEncodingVersion = 0x01;

// Appends the encoding of `row` to *out.
void EncodeRow(const Row& row, std::string* out);

// Corruption on an unknown version, truncated or trailing bytes, or a bad value.
Result<Row> DecodeRow(std::string_view encoded);

}  // namespace nokv::records
