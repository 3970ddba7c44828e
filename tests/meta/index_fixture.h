// Index test helpers: rules from JSON, rows as text, and the comparison of a rule's
// stored index (rows, contributions, value entries) with a rebuild from scratch.
#pragma once

#include <map>
#include <string>

#include "holt/engine.h"
#include "meta/index_keys.h"
#include "meta_fixture.h"
#include "records/rule.h"

namespace nokv::meta::testing {

inline records::IndexRule RuleFrom(const std::string& json) {
  auto rule = records::RuleFromJson(nlohmann::json::parse(json));
  EXPECT_TRUE(rule.ok()) << rule.status().ToString();
  return rule.value_or(records::IndexRule{});
}

// Every `f`, `p` and `v` key of `rule_id` in `meta`, with the rule id cut out of the
// key (so two rules' indexes compare), mapped to its value.
inline std::map<std::string, std::string> IndexState(MetaService* meta,
                                                     const std::string& rule_id) {
  std::map<std::string, std::string> out;
  for (char family : {'f', 'p', 'v'}) {
    holt::ScanOptions scan;
    scan.prefix = std::string(1, family) + rule_id + '\0';
    scan.limit = SIZE_MAX;
    auto rows = meta->engine()->Scan(scan);
    EXPECT_TRUE(rows.ok());
    for (const auto& e : *rows) out[family + e.key.substr(scan.prefix.size() - 1)] = e.value;
  }
  return out;
}

// The row of `rule` at `row_path` as "field=value;..." ("<none>" when absent).
inline std::string RowText(MetaService* meta, const std::string& rule,
                           const std::string& row_path) {
  auto value = meta->engine()->Get(RowKey(rule, row_path));
  if (!value.ok()) return "<none>";
  auto stored = DecodeStoredRow(value->bytes);
  if (!stored.ok()) return "<bad>";
  std::string out;
  for (const auto& [field, values] : stored->row.fields) {
    for (const auto& v : values) out += field + "=" + v.DebugString() + ";";
  }
  return out;
}

// Adds a copy of `rule` under another id (back-filled from scratch), compares every key
// of both indexes, and removes the copy.
inline void ExpectMatchesRebuild(MetaService* meta, records::IndexRule rule) {
  auto maintained = IndexState(meta, rule.id);
  rule.id += "-rebuilt";
  ASSERT_TRUE(meta->AddIndexRule(rule).ok());
  auto rebuilt = IndexState(meta, rule.id);
  ASSERT_TRUE(meta->RemoveIndexRule(rule.id).ok());
  EXPECT_EQ(maintained.size(), rebuilt.size());
  for (const auto& [key, value] : rebuilt) {
    auto it = maintained.find(key);
    if (it == maintained.end()) {
      ADD_FAILURE() << "missing " << key.substr(0, 80);
    } else {
      EXPECT_EQ(it->second, value) << "differs at " << key.substr(0, 80);
    }
  }
  for (const auto& [key, value] : maintained) {
    if (!rebuilt.contains(key)) ADD_FAILURE() << "stale " << key.substr(0, 80);
  }
}

}  // namespace nokv::meta::testing
