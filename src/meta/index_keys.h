// Keys of the index families, shared with the query layer (docs/formats/meta-keys.md):
//
//   r <rule id>                                         -> rule JSON
//   f <rule id> 0x00 <row path>                         -> StoredRow
//   v <rule id> 0x00 <field id> 0x00 <ordered value> <row path>  -> ""
//
// Rule and field ids never contain NUL, so 0x00 separates them; ordered
// values are self-delimiting (records/value.h), so the row path follows.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "records/row.h"
#include "records/value.h"

namespace nokv::meta {

std::string RuleKey(std::string_view rule_id);
std::string RowKey(std::string_view rule_id, std::string_view row_path);
// All rows of a rule (empty path_prefix) or those whose row path starts with it.
std::string RowPrefix(std::string_view rule_id, std::string_view path_prefix = {});
std::string ValueFieldPrefix(std::string_view rule_id, std::string_view field_id);
std::string ValueKey(std::string_view rule_id, std::string_view field_id,
                     const records::TypedValue& value, std::string_view row_path);

bool ParseRowKey(std::string_view key, std::string_view* rule_id, std::string_view* row_path);
// Parses the part of a value key after ValueFieldPrefix(rule, field).
bool ParseValueKeySuffix(std::string_view suffix, records::TypedValue* value,
                         std::string_view* row_path);

// What an `f` key holds: the row and the file (relative to the row path's
// directory, or the file's own name) it was extracted from.
struct StoredRow {
  std::string source;
  records::Row row;
};
std::string EncodeStoredRow(const StoredRow& row);
Result<StoredRow> DecodeStoredRow(std::string_view value);

}  // namespace nokv::meta
