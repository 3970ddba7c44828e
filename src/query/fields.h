// FieldSet: the fields find/aggregate/catalog accept at a scope (built-ins
// plus the fields of every index rule whose root covers the scope or lies
// below it), their types, and loading the merged values of one row.
//
// A FieldSet is built per call and used by the calling thread only.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "meta/types.h"
#include "query/invocation.h"
#include "records/rule.h"
#include "records/value.h"

namespace nokv::query {

// Field id -> values (at least one each), merged over every rule.
using FieldValues = std::map<std::string, std::vector<records::TypedValue>, std::less<>>;

// "string", "number", "bool" or "mixed".
enum class ValueType { kString, kNumber, kBool, kMixed };
std::string_view ValueTypeName(ValueType type);

struct FieldInfo {
  std::string id;
  bool builtin = false;
  records::FieldType declared = records::FieldType::kAuto;
  std::vector<std::string> rules;  // rule ids producing it (index fields)
};

// Built-in fields, in catalog order.
const std::vector<std::string>& BuiltinFieldIds();

class FieldSet {
 public:
  // The fields at `scope` (normalized) read at inv.at().
  static VerbError Load(const Invocation& inv, std::string_view scope, FieldSet* out);

  const FieldInfo* Find(std::string_view id) const;
  // The field, or invalid_argument "unknown field" with a did-you-mean hint.
  VerbError Require(std::string_view id, const FieldInfo** out) const;
  // Every field id: built-ins first, then index fields in id order.
  std::vector<std::string> Ids() const;
  const std::vector<records::IndexRule>& rules() const { return rules_; }
  const std::string& scope() const { return scope_; }
  bool has_index_fields() const { return fields_.size() > BuiltinFieldIds().size(); }

  // The type of a field: declared, built-in, or the kinds seen in the value
  // index (the first and last entries bound them).
  ValueType TypeOf(const FieldInfo& field) const;

  // Merged index values of `row_path` for the rules producing `wanted`
  // (every rule when `wanted` is empty). False when no rule has that row.
  VerbError LoadIndexValues(std::string_view row_path, const std::set<std::string>& wanted,
                            FieldValues* out, bool* found) const;
  // Built-in values of `path` (wanted ones only; all when empty). NotFound when gone.
  VerbError LoadBuiltins(std::string_view path, const std::set<std::string>& wanted,
                         FieldValues* out, meta::Attr* attr = nullptr) const;
  // Built-ins from an attr already read (content_type/producer need the manifest).
  void BuiltinsFromAttr(std::string_view path, const meta::Attr& attr,
                        const std::set<std::string>& wanted, FieldValues* out) const;

  // The engine key prefix of the value index of (rule, field).
  static std::string ValuePrefix(std::string_view rule, std::string_view field);

 private:
  void AddIndexField(const std::string& id, const records::IndexRule& rule,
                     records::FieldType declared);
  void AddFlattenFields(const records::IndexRule& rule, const records::FieldSpec& spec);

  const Invocation* inv_ = nullptr;
  std::string scope_;
  std::vector<records::IndexRule> rules_;
  std::map<std::string, FieldInfo, std::less<>> fields_;
};

// Adds `value` to `values` unless an equal value is there.
void AddUnique(std::vector<records::TypedValue>* values, records::TypedValue value);

}  // namespace nokv::query
