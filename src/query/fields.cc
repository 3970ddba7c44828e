// FieldSet: fields at a scope, their types, and row loading.
#include "query/fields.h"

#include "meta/index_keys.h"
#include "query/args.h"
#include "query/text_codec.h"

namespace nokv::query {
namespace {

constexpr size_t kMaxFlattenIds = 1024;

// The first or last value of a field's value index, if any.
std::optional<records::ValueKind> EdgeKind(const Invocation& inv, const std::string& prefix,
                                           bool last) {
  meta::IndexScan scan;
  scan.prefix = prefix;
  scan.limit = 1;
  scan.reverse = last;
  auto keys = inv.meta->ScanIndexKeys(scan, inv.at());
  if (!keys.ok() || keys->empty()) return std::nullopt;
  records::TypedValue value;
  std::string_view row_path;
  if (!meta::ParseValueKeySuffix(std::string_view(keys->front()).substr(prefix.size()), &value,
                                 &row_path)) {
    return std::nullopt;
  }
  return value.kind();
}

ValueType FromKind(records::ValueKind kind) {
  switch (kind) {
    case records::ValueKind::kNumber:
      return ValueType::kNumber;
    case records::ValueKind::kBool:
      return ValueType::kBool;
    case records::ValueKind::kString:
      return ValueType::kString;
    default:
      return ValueType::kMixed;
  }
}

std::string UnknownFieldHint(std::string_view id, const std::vector<std::string>& ids) {
  for (const auto& candidate : ids) {
    if (candidate.size() > id.size() && candidate.ends_with(id) &&
        candidate[candidate.size() - id.size() - 1] == '.') {
      return "did you mean '" + candidate + "'? (see catalog)";
    }
  }
  std::string near = ClosestMatch(id, ids);
  if (!near.empty()) return "did you mean '" + near + "'? (see catalog)";
  std::string under;
  int listed = 0;
  for (const auto& candidate : ids) {
    if (candidate.starts_with(std::string(id) + ".") && listed < 5) {
      under += (listed++ ? ", '" : "'") + candidate + "'";
    }
  }
  if (!under.empty())
    return "'" + std::string(id) + "' is a prefix; use a full id such as " + under;
  return "call catalog on the path to list the fields";
}

}  // namespace

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
    case ValueType::kNumber:
      return "number";
    case ValueType::kBool:
      return "bool";
    default:
      return "mixed";
  }
}

const std::vector<std::string>& BuiltinFieldIds() {
  static const std::vector<std::string> kIds = {"path",  "name",       "kind",         "size_bytes",
                                                "mtime", "generation", "content_type", "producer"};
  return kIds;
}

void AddUnique(std::vector<records::TypedValue>* values, records::TypedValue value) {
  for (const auto& v : *values) {
    if (v == value) return;
  }
  values->push_back(std::move(value));
}

std::string FieldSet::ValuePrefix(std::string_view rule, std::string_view field) {
  return meta::ValueFieldPrefix(rule, field);
}

VerbError FieldSet::Load(const Invocation& inv, std::string_view scope, FieldSet* out) {
  out->inv_ = &inv;
  out->scope_ = std::string(scope);
  for (const auto& id : BuiltinFieldIds()) out->fields_[id] = FieldInfo{id, true, {}, {}};
  for (auto& rule : inv.meta->IndexRules()) {
    if (!PathUnder(rule.root, scope) && !PathUnder(scope, rule.root)) continue;
    for (const auto& spec : rule.fields) {
      if (spec.flatten) {
        out->AddFlattenFields(rule, spec);
      } else {
        out->AddIndexField(spec.id, rule, spec.type);
      }
    }
    out->rules_.push_back(std::move(rule));
  }
  return VerbError::Ok();
}

void FieldSet::AddIndexField(const std::string& id, const records::IndexRule& rule,
                             records::FieldType declared) {
  auto [it, fresh] = fields_.try_emplace(id, FieldInfo{id, false, declared, {}});
  if (it->second.builtin) return;  // a built-in name wins
  if (!fresh && it->second.declared != declared) it->second.declared = records::FieldType::kAuto;
  if (it->second.rules.empty() || it->second.rules.back() != rule.id) {
    it->second.rules.push_back(rule.id);
  }
}

void FieldSet::AddFlattenFields(const records::IndexRule& rule, const records::FieldSpec& spec) {
  // Skip-scan the rule's value index: one key per distinct generated id.
  std::string base = ValuePrefix(rule.id, "");
  base.pop_back();  // "v<rule>\0"
  meta::IndexScan scan;
  scan.prefix = base + spec.id;
  scan.limit = 1;
  for (size_t n = 0; n < kMaxFlattenIds; ++n) {
    auto keys = inv_->meta->ScanIndexKeys(scan, inv_->at());
    if (!keys.ok() || keys->empty()) return;
    std::string_view key = keys->front();
    size_t nul = key.find('\0', base.size());
    if (nul == std::string_view::npos) return;
    std::string id(key.substr(base.size(), nul - base.size()));
    if (id == spec.id || id.starts_with(spec.id + ".")) AddIndexField(id, rule, spec.type);
    scan.start_after = base + id + '\x01';  // past every key of this id
  }
}

const FieldInfo* FieldSet::Find(std::string_view id) const {
  auto it = fields_.find(id);
  return it == fields_.end() ? nullptr : &it->second;
}

VerbError FieldSet::Require(std::string_view id, const FieldInfo** out) const {
  *out = Find(id);
  if (*out != nullptr) return VerbError::Ok();
  return VerbError::InvalidArgument(
      "unknown field '" + SanitizeUtf8(id.substr(0, 256)) + "' at " + scope_,
      UnknownFieldHint(id, Ids()));
}

std::vector<std::string> FieldSet::Ids() const {
  std::vector<std::string> ids = BuiltinFieldIds();
  for (const auto& [id, info] : fields_) {
    if (!info.builtin) ids.push_back(id);
  }
  return ids;
}

ValueType FieldSet::TypeOf(const FieldInfo& field) const {
  if (field.builtin) {
    bool number = field.id == "size_bytes" || field.id == "generation";
    return number ? ValueType::kNumber : ValueType::kString;
  }
  switch (field.declared) {
    case records::FieldType::kString:
      return ValueType::kString;
    case records::FieldType::kNumber:
      return ValueType::kNumber;
    case records::FieldType::kBool:
      return ValueType::kBool;
    default:
      break;
  }
  std::optional<records::ValueKind> low, high;
  for (const auto& rule : field.rules) {
    std::string prefix = ValuePrefix(rule, field.id);
    auto first = EdgeKind(*inv_, prefix, false);
    auto last = EdgeKind(*inv_, prefix, true);
    if (!first || !last) continue;
    if (!low || *first < *low) low = first;
    if (!high || *last > *high) high = last;
  }
  if (!low || *low != *high) return ValueType::kMixed;
  return FromKind(*low);
}

VerbError FieldSet::LoadIndexValues(std::string_view row_path, const std::set<std::string>& wanted,
                                    FieldValues* out, bool* found) const {
  *found = false;
  for (const auto& rule : rules_) {
    bool useful = wanted.empty();
    for (const auto& id : wanted) {
      const FieldInfo* f = Find(id);
      if (f == nullptr || f->builtin) continue;
      for (const auto& r : f->rules) useful = useful || r == rule.id;
    }
    if (!useful) continue;
    auto stored = inv_->meta->GetRow(rule.id, row_path, inv_->at());
    if (stored.status().code() == Code::kNotFound) continue;
    if (!stored.ok()) return VerbError::Internal(stored.status().ToString());
    *found = true;
    for (auto& [id, values] : stored->row.fields) {
      if (!wanted.empty() && !wanted.contains(id)) continue;
      auto& into = (*out)[id];
      for (auto& v : values) AddUnique(&into, std::move(v));
    }
  }
  return VerbError::Ok();
}

VerbError FieldSet::LoadBuiltins(std::string_view path, const std::set<std::string>& wanted,
                                 FieldValues* out, meta::Attr* attr_out) const {
  auto attr = inv_->meta->Stat(path, inv_->at());
  if (!attr.ok()) return FromStatus(attr.status());
  BuiltinsFromAttr(path, *attr, wanted, out);
  if (attr_out != nullptr) *attr_out = *attr;
  return VerbError::Ok();
}

void FieldSet::BuiltinsFromAttr(std::string_view path, const meta::Attr& attr,
                                const std::set<std::string>& wanted, FieldValues* out) const {
  auto want = [&](const char* id) { return wanted.empty() || wanted.contains(id); };
  using records::TypedValue;
  bool file = attr.type == meta::FileType::kFile;
  if (want("path")) (*out)["path"] = {TypedValue::String(std::string(path))};
  if (want("name")) (*out)["name"] = {TypedValue::String(std::string(BaseName(path)))};
  if (want("kind")) (*out)["kind"] = {TypedValue::String(meta::FileTypeName(attr.type))};
  if (want("size_bytes")) (*out)["size_bytes"] = {TypedValue::Number(double(attr.size))};
  if (want("mtime")) (*out)["mtime"] = {TypedValue::String(FormatTime(attr.mtime_ns))};
  if (file && want("generation"))
    (*out)["generation"] = {TypedValue::Number(double(attr.generation))};
  if (!file || (!want("content_type") && !want("producer"))) return;
  auto manifest = inv_->meta->GetManifest(attr.inode, attr.generation, inv_->at());
  if (!manifest.ok()) return;
  if (want("content_type") && !manifest->content_type.empty()) {
    (*out)["content_type"] = {TypedValue::String(manifest->content_type)};
  }
  if (want("producer") && !manifest->producer.empty()) {
    (*out)["producer"] = {TypedValue::String(manifest->producer)};
  }
}

}  // namespace nokv::query
