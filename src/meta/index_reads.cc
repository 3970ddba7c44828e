// Index reads for the verbs: row and value-index keys and stored rows at a
// read point, so the query layer walks indexes without touching the engine.
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

}  // namespace nokv::meta
