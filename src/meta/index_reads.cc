// Index reads for the verbs: row and value-index keys and stored rows at a
// read point, so the query layer walks indexes without touching the engine.
#include <set>

#include "meta/meta_service.h"

namespace nokv::meta {

Result<std::vector<std::string>> MetaService::ScanIndexKeys(const IndexScan& scan,
                                                            const ReadContext* at) {
  if (scan.prefix.empty() || (scan.prefix[0] != 'f' && scan.prefix[0] != 'v')) {
    return Status::InvalidArgument("an index scan reads the row and value families only");
  }
  holt::ScanOptions options;
  options.prefix = scan.prefix;
  options.start_after = scan.start_after;
  options.limit = scan.limit;
  options.reverse = scan.reverse;
  options.keys_only = true;
  NOKV_ASSIGN_OR_RETURN(auto rows, engine_->Scan(options, at ? at->view() : nullptr));
  std::vector<std::string> keys;
  keys.reserve(rows.size());
  for (auto& row : rows) keys.push_back(std::move(row.key));
  return keys;
}

Result<StoredRow> MetaService::GetRow(std::string_view rule_id, std::string_view row_path,
                                      const ReadContext* at) {
  NOKV_ASSIGN_OR_RETURN(auto value,
                        engine_->Get(RowKey(rule_id, row_path), at ? at->view() : nullptr));
  return DecodeStoredRow(value.bytes);
}

// The `_error` and `_warning` fields of a rule's rows are value-indexed like
// any field, so their `v` keys name every troubled row with its message.
Result<IndexProblems> MetaService::IndexRuleProblems(std::string_view rule_id, size_t examples) {
  IndexProblems problems;
  auto collect = [&](std::string_view field, uint64_t* count,
                     std::vector<IndexProblems::Example>* firsts) -> Status {
    holt::ScanOptions scan;
    scan.prefix = ValueFieldPrefix(rule_id, field);
    scan.keys_only = true;
    scan.limit = 1024;
    std::set<std::string> rows;  // a parent row holds one message per file
    for (;;) {
      NOKV_ASSIGN_OR_RETURN(auto keys, engine_->Scan(scan));
      for (const auto& key : keys) {
        records::TypedValue message;
        std::string_view row_path;
        std::string_view suffix = std::string_view(key.key).substr(scan.prefix.size());
        if (!ParseValueKeySuffix(suffix, &message, &row_path)) continue;
        if (!rows.emplace(row_path).second) continue;
        if (firsts->size() < examples) {
          firsts->push_back({std::string(row_path), message.kind() == records::ValueKind::kString
                                                        ? message.string_value()
                                                        : message.DebugString()});
        }
      }
      if (keys.size() < scan.limit) break;
      scan.start_after = keys.back().key;
    }
    *count = rows.size();
    return Status::Ok();
  };
  NOKV_RETURN_IF_ERROR(collect("_error", &problems.not_indexed, &problems.not_indexed_examples));
  NOKV_RETURN_IF_ERROR(
      collect("_warning", &problems.values_skipped, &problems.values_skipped_examples));
  return problems;
}

}  // namespace nokv::meta
