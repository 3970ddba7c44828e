// Keys of the index families, shared with the query layer (docs/formats/meta-keys.md):
//
//   r <rule id>                                         -> RuleRecord (01 | JSON)
//   f <rule id> 0x00 <row path>                         -> StoredRow
//   v <rule id> 0x00 <field id> 0x00 <ordered value> <row path>  -> ""
//   p <rule id> 0x00 <row path> 0x00 <file name>        -> StoredRow (one file's part
//                                                          of a `target: parent` row)
//   e <directory path>                                  -> "" (index epoch: rewritten by
//                                                          every index write at or below)
//   c/index_rules                                       -> "" (rewritten when the rule
//                                                          set changes)
//
// Rule and field ids never contain NUL, so 0x00 separates them; ordered
// values are self-delimiting (records/value.h), so the row path follows.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "records/row.h"
#include "records/rule.h"
#include "records/value.h"

namespace nokv::meta {

std::string RuleKey(std::string_view rule_id);
std::string RowKey(std::string_view rule_id, std::string_view row_path);
// All rows of a rule (empty path_prefix) or those whose row path starts with it.
std::string RowPrefix(std::string_view rule_id, std::string_view path_prefix = {});
std::string ValueFieldPrefix(std::string_view rule_id, std::string_view field_id);
std::string ValueKey(std::string_view rule_id, std::string_view field_id,
                     const records::TypedValue& value, std::string_view row_path);

// Contributions of files to `target: parent` rows.
inline constexpr char kContributionFamily = 'p';
std::string ContributionPrefix(std::string_view rule_id, std::string_view row_path);
std::string ContributionKey(std::string_view rule_id, std::string_view row_path,
                            std::string_view file_name);
// All contributions of a rule.
std::string ContributionRulePrefix(std::string_view rule_id);
// The prefix of every value-index key of a rule.
std::string ValueRulePrefix(std::string_view rule_id);

// Index epochs: every command that writes a row or contribution at row path P also
// rewrites the epoch key of P and of each ancestor directory of P (but "/"), so a
// command that moves or drops the rows under a directory guards that directory's
// epoch and cannot miss a row written concurrently below it.
inline constexpr char kIndexEpochFamily = 'e';
std::string IndexEpochKey(std::string_view path);
// The epoch keys a write at `row_path` rewrites: `row_path` and its ancestors but "/".
std::vector<std::string> IndexEpochKeysFor(std::string_view row_path);
// Rewritten by every change of the set of rules (add, remove); index maintenance guards
// its version so a command built with an outdated rule set rebuilds.
inline constexpr std::string_view kIndexRulesKey = "c/index_rules";

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
// The value of an `r` key: the rule, its life-cycle state and, while back-filling, the
// path of the last file done (resume after it; "" = from the start).
enum class IndexRuleState : uint8_t {
  kReady,        // rows are complete and maintained
  kBackfilling,  // maintained; files up to `cursor` back-filled, the rest not yet
  kResetting,    // reindex: old rows are being dropped, then back-fill from the start
  kRemoving,     // rows are being dropped, then the rule record goes
};
// "ready", "backfilling", "resetting", "removing".
std::string_view IndexRuleStateName(IndexRuleState state);
struct RuleRecord {
  records::IndexRule rule;
  IndexRuleState state = IndexRuleState::kReady;
  std::string cursor;
};
// A scan of index keys for the verbs (MetaService::ScanIndexKeys): the row
// (`f`) and value (`v`) families only.
struct IndexScan {
  std::string prefix;                      // starts with 'f' or 'v'
  std::optional<std::string> start_after;  // exclusive, in scan direction
  size_t limit = 1000;
  bool reverse = false;
};

std::string EncodeRuleRecord(const RuleRecord& record);
// Also accepts the plain rule JSON of format version 0 (state ready).
Result<RuleRecord> DecodeRuleRecord(std::string_view value);

std::string EncodeStoredRow(const StoredRow& row);
Result<StoredRow> DecodeStoredRow(std::string_view value);

}  // namespace nokv::meta
