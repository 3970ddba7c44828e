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

std::string ContributionRulePrefix(std::string_view rule_id) {
  std::string k(1, kContributionFamily);
  k.append(rule_id);
  k.push_back('\0');
  return k;
}

std::string ContributionPrefix(std::string_view rule_id, std::string_view row_path) {
  std::string k = ContributionRulePrefix(rule_id);
  k.append(row_path);
  k.push_back('\0');
  return k;
}

std::string ContributionKey(std::string_view rule_id, std::string_view row_path,
                            std::string_view file_name) {
  return ContributionPrefix(rule_id, row_path).append(file_name);
}

std::string ValueRulePrefix(std::string_view rule_id) {
  std::string k(1, family::kValueIndex);
  k.append(rule_id);
  k.push_back('\0');
  return k;
}

std::string IndexEpochKey(std::string_view path) {
  return std::string(1, kIndexEpochFamily).append(path);
}

std::vector<std::string> IndexEpochKeysFor(std::string_view row_path) {
  std::vector<std::string> keys;
  for (size_t end = row_path.size(); end > 1;) {
    keys.push_back(IndexEpochKey(row_path.substr(0, end)));
    end = row_path.rfind('/', end - 1);
  }
  return keys;
}

std::string_view IndexRuleStateName(IndexRuleState state) {
  switch (state) {
    case IndexRuleState::kReady:
      return "ready";
    case IndexRuleState::kBackfilling:
      return "backfilling";
    case IndexRuleState::kResetting:
      return "resetting";
    case IndexRuleState::kRemoving:
      return "removing";
  }
  return "unknown";
}

std::string EncodeRuleRecord(const RuleRecord& record) {
  nlohmann::json json = {{"rule", records::RuleToJson(record.rule)},
                         {"state", IndexRuleStateName(record.state)},
                         {"cursor", record.cursor}};
  return std::string(1, static_cast<char>(kValueVersion)) + json.dump();
}

Result<RuleRecord> DecodeRuleRecord(std::string_view value) {
  RuleRecord record;
  bool legacy = !value.empty() && value[0] == '{';
  if (!legacy && (value.empty() || static_cast<uint8_t>(value[0]) != kValueVersion)) {
    return Status::Corruption("bad index rule record version");
  }
  auto json = nlohmann::json::parse(legacy ? value : value.substr(1), nullptr,
                                    /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return Status::Corruption("bad index rule record");
  if (legacy) {
    NOKV_ASSIGN_OR_RETURN(record.rule, records::RuleFromJson(json));
    return record;
  }
  auto state = json.find("state");
  auto cursor = json.find("cursor");
  auto rule = json.find("rule");
  if (state == json.end() || !state->is_string() || cursor == json.end() || !cursor->is_string() ||
      rule == json.end()) {
    return Status::Corruption("bad index rule record");
  }
  NOKV_ASSIGN_OR_RETURN(record.rule, records::RuleFromJson(*rule));
  record.cursor = cursor->get<std::string>();
  for (auto s : {IndexRuleState::kReady, IndexRuleState::kBackfilling, IndexRuleState::kResetting,
                 IndexRuleState::kRemoving}) {
    if (IndexRuleStateName(s) == state->get<std::string>()) {
      record.state = s;
      return record;
    }
  }
  return Status::Corruption("unknown index rule state " + state->get<std::string>());
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
