// Index key layout.
#include "meta/index_keys.h"

#include "common/coding.h"
#include "meta/codec.h"

namespace nokv::meta {

std::string RuleKey(std::string_view rule_id) {
  return std::string(1, family::kRule) + std::string(rule_id);
}

std::string RowPrefix(std::string_view rule_id, std::string_view path_prefix) {
  std::string k(1, family::kRow);
  k.append(rule_id);
  k.push_back('\0');
  k.append(path_prefix);
  return k;
}

std::string RowKey(std::string_view rule_id, std::string_view row_path) {
  return RowPrefix(rule_id, row_path);
}

std::string ValueFieldPrefix(std::string_view rule_id, std::string_view field_id) {
  std::string k(1, family::kValueIndex);
  k.append(rule_id);
  k.push_back('\0');
  k.append(field_id);
  k.push_back('\0');
  return k;
}

std::string ValueKey(std::string_view rule_id, std::string_view field_id,
                     const records::TypedValue& value, std::string_view row_path) {
  std::string k = ValueFieldPrefix(rule_id, field_id);
  records::EncodeOrdered(value, &k);
  k.append(row_path);
  return k;
}

bool ParseRowKey(std::string_view key, std::string_view* rule_id, std::string_view* row_path) {
  if (key.empty() || key[0] != family::kRow) return false;
  size_t nul = key.find('\0', 1);
  if (nul == std::string_view::npos) return false;
  *rule_id = key.substr(1, nul - 1);
  *row_path = key.substr(nul + 1);
  return true;
}

bool ParseValueKeySuffix(std::string_view suffix, records::TypedValue* value,
                         std::string_view* row_path) {
  if (!records::DecodeOrdered(&suffix, value)) return false;
  *row_path = suffix;
  return true;
}

std::string EncodeStoredRow(const StoredRow& row) {
  std::string v(1, static_cast<char>(kValueVersion));
  PutLengthPrefixed(&v, row.source);
  records::EncodeRow(row.row, &v);
  return v;
}

Result<StoredRow> DecodeStoredRow(std::string_view value) {
  Decoder d(value);
  uint8_t version = 0;
  std::string_view source;
  if (!d.GetFixed8(&version) || version != kValueVersion || !d.GetLengthPrefixed(&source)) {
    return Status::Corruption("bad index row");
  }
  NOKV_ASSIGN_OR_RETURN(records::Row row, records::DecodeRow(d.rest()));
  return StoredRow{std::string(source), std::move(row)};
}

}  // namespace nokv::meta
