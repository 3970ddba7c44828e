// Index rule validation and JSON (de)serialization.
#include "records/rule.h"

#include <algorithm>
#include <array>
#include <set>
#include <span>

#include "records/glob.h"
#include "records/source_path.h"
#include "records/utf8.h"

namespace nokv::records {
namespace {

using nlohmann::json;

constexpr size_t kMaxFieldsPerRule = 256;
constexpr size_t kMaxNameBytes = 255;

constexpr std::array<std::string_view, 6> kRuleKeys = {"id",     "root",   "glob",
                                                       "target", "fields", "max_body_bytes"};
constexpr std::array<std::string_view, 6> kFieldKeys = {"id",     "source",  "type",
                                                        "filter", "reducer", "flatten"};
constexpr std::array<std::string_view, 2> kFilterKeys = {"path", "equals"};

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Join(std::span<const std::string_view> words) {
  std::string out;
  for (std::string_view w : words) out += (out.empty() ? "" : ", ") + std::string(w);
  return out;
}

// InvalidArgument for the first key of `object` not in `allowed`, with a suggestion.
Status CheckKeys(const json& object, std::span<const std::string_view> allowed,
                 std::string_view where) {
  for (const auto& item : object.items()) {
    const std::string& key = item.key();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string message = std::string(where) + ": unknown key '" + key + "'";
    auto closest = std::min_element(allowed.begin(), allowed.end(), [&](auto x, auto y) {
      return EditDistance(key, x) < EditDistance(key, y);
    });
    if (EditDistance(key, *closest) <= 2) {
      message += "; did you mean '" + std::string(*closest) + "'?";
    } else {
      message += " (allowed: " + Join(allowed) + ")";
    }
    return Status::InvalidArgument(message);
  }
  return Status::Ok();
}

Status NotA(std::string_view where, std::string_view key, std::string_view expected) {
  return Status::InvalidArgument(std::string(where) + ": '" + std::string(key) + "' must be " +
                                 std::string(expected));
}

// Reads a string member; *out is untouched when the key is absent and not required.
Status ReadString(const json& object, const char* key, std::string_view where, bool required,
                  std::string* out) {
  auto it = object.find(key);
  if (it == object.end()) {
    if (!required) return Status::Ok();
    return Status::InvalidArgument(std::string(where) + ": missing '" + key + "'");
  }
  if (!it->is_string()) return NotA(where, key, "a string");
  *out = it->get<std::string>();
  if (!IsValidUtf8(*out)) return NotA(where, key, "valid UTF-8");
  return Status::Ok();
}

// "/a//b/./c/" -> "/a/b/c"; rejects relative paths, "..", NUL and over-long names.
Result<std::string> NormalizeRoot(std::string_view root) {
  if (root.empty() || root.front() != '/') {
    return Status::InvalidArgument("rule: root '" + std::string(root) + "' must be absolute");
  }
  if (root.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("rule: root contains NUL");
  }
  std::string out;
  size_t i = 0;
  while (i < root.size()) {
    size_t end = std::min(root.find('/', i), root.size());
    std::string_view part = root.substr(i, end - i);
    i = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return Status::InvalidArgument("rule: root must not contain '..'");
    if (part.size() > kMaxNameBytes) {
      return Status::InvalidArgument("rule: root has a name longer than 255 bytes");
    }
    out += "/";
    out += part;
  }
  return out.empty() ? std::string("/") : out;
}

Result<RecordFilter> FilterFromJson(const json& object) {
  if (!object.is_object()) return NotA("field", "filter", "an object {path, equals}");
  NOKV_RETURN_IF_ERROR(CheckKeys(object, kFilterKeys, "filter"));
  RecordFilter filter;
  NOKV_RETURN_IF_ERROR(ReadString(object, "path", "filter", true, &filter.path));
  auto equals = object.find("equals");
  if (equals == object.end()) return Status::InvalidArgument("filter: missing 'equals'");
  Result<TypedValue> value = FromJson(*equals);
  if (!value.ok()) return NotA("filter", "equals", "a string, number, bool or null");
  filter.equals = *std::move(value);
  return filter;
}

Status ReadFieldOptions(const json& object, FieldSpec* field) {
  std::string name;
  NOKV_RETURN_IF_ERROR(ReadString(object, "type", "field", false, &name));
  if (!name.empty()) {
    auto type = ParseFieldType(name);
    if (!type) return NotA("field", "type", "one of string, number, bool, auto");
    field->type = *type;
  }
  name.clear();
  NOKV_RETURN_IF_ERROR(ReadString(object, "reducer", "field", false, &name));
  if (!name.empty()) {
    field->reducer = ParseReducer(name);
    if (!field->reducer)
      return NotA("field", "reducer", "one of first, last, min, max, count, sum");
  }
  if (auto it = object.find("flatten"); it != object.end()) {
    if (!it->is_boolean()) return NotA("field", "flatten", "true or false");
    field->flatten = it->get<bool>();
  }
  if (auto it = object.find("filter"); it != object.end()) {
    NOKV_ASSIGN_OR_RETURN(field->filter, FilterFromJson(*it));
  }
  return Status::Ok();
}

Result<FieldSpec> FieldFromJsonOrText(const json& element) {
  if (element.is_string()) return ParseFieldSpec(element.get<std::string>());
  return FieldFromJson(element);
}

Status ReadFields(const json& array, std::vector<FieldSpec>* fields) {
  if (!array.is_array() || array.empty()) return NotA("rule", "fields", "a non-empty array");
  if (array.size() > kMaxFieldsPerRule) {
    return Status::InvalidArgument("rule: more than " + std::to_string(kMaxFieldsPerRule) +
                                   " fields");
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < array.size(); ++i) {
    std::string where = "fields[" + std::to_string(i) + "]";
    Result<FieldSpec> field = FieldFromJsonOrText(array[i]);
    if (!field.ok()) return field.status().WithContext(where);
    if (!ids.insert(field->id).second) {
      return Status::InvalidArgument(where + ": duplicate field id '" + field->id + "'");
    }
    fields->push_back(*std::move(field));
  }
  return Status::Ok();
}

Status ReadTargetAndLimit(const json& object, IndexRule* rule) {
  std::string target = "file";
  NOKV_RETURN_IF_ERROR(ReadString(object, "target", "rule", false, &target));
  if (target == "file") {
    rule->target = IndexRule::Target::kFile;
  } else if (target == "parent") {
    rule->target = IndexRule::Target::kParent;
  } else {
    return NotA("rule", "target", "\"file\" or \"parent\"");
  }
  if (auto it = object.find("max_body_bytes"); it != object.end()) {
    bool in_range = it->is_number_integer() && it->get<int64_t>() > 0 &&
                    it->get<uint64_t>() <= kMaxMaxBodyBytes;
    if (!in_range) {
      return NotA("rule", "max_body_bytes",
                  "an integer from 1 to " + std::to_string(kMaxMaxBodyBytes));
    }
    rule->max_body_bytes = it->get<uint64_t>();
  }
  return Status::Ok();
}

}  // namespace

std::string_view ReducerName(Reducer reducer) {
  switch (reducer) {
    case Reducer::kFirst:
      return "first";
    case Reducer::kLast:
      return "last";
    case Reducer::kMin:
      return "min";
    case Reducer::kMax:
      return "max";
    case Reducer::kCount:
      return "count";
    case Reducer::kSum:
      return "sum";
  }
  return "first";
}

std::optional<Reducer> ParseReducer(std::string_view name) {
  for (Reducer r : {Reducer::kFirst, Reducer::kLast, Reducer::kMin, Reducer::kMax, Reducer::kCount,
                    Reducer::kSum}) {
    if (ReducerName(r) == name) return r;
  }
  return std::nullopt;
}

Status ValidateId(std::string_view id, std::string_view what) {
  std::string prefix = std::string(what) + " '" + std::string(id) + "'";
  if (id.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  if (id.size() > kMaxIdBytes) {
    return Status::InvalidArgument(prefix + " is longer than " + std::to_string(kMaxIdBytes) +
                                   " bytes");
  }
  if (id.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument(std::string(what) + " contains NUL");
  }
  if (id.find_first_of(" \t\n\r\f\v") != std::string_view::npos) {
    return Status::InvalidArgument(prefix + " contains whitespace");
  }
  if (!IsValidUtf8(id)) {
    return Status::InvalidArgument(SanitizeUtf8(prefix) + " is not valid UTF-8");
  }
  return Status::Ok();
}

Status ValidateField(const FieldSpec& field) {
  NOKV_RETURN_IF_ERROR(ValidateId(field.id, "field id"));
  NOKV_RETURN_IF_ERROR(SourcePath::Parse(field.source).status());
  if (field.filter) NOKV_RETURN_IF_ERROR(SourcePath::Parse(field.filter->path).status());
  std::string where = "field '" + field.id + "': ";
  // A rule is stored as JSON, whose strings are UTF-8.
  if (!IsValidUtf8(field.source) ||
      (field.filter &&
       (!IsValidUtf8(field.filter->path) || (field.filter->equals.kind() == ValueKind::kString &&
                                             !IsValidUtf8(field.filter->equals.string_value()))))) {
    return Status::InvalidArgument(SanitizeUtf8(where) +
                                   "source, filter and literal must be valid UTF-8");
  }
  if (field.flatten && field.reducer) {
    return Status::InvalidArgument(where + "flatten cannot be combined with a reducer");
  }
  bool numeric_reducer = field.reducer == Reducer::kCount || field.reducer == Reducer::kSum;
  if (numeric_reducer && field.type != FieldType::kNumber && field.type != FieldType::kAuto) {
    return Status::InvalidArgument(where + "reducer '" + std::string(ReducerName(*field.reducer)) +
                                   "' produces numbers; use type number");
  }
  return Status::Ok();
}

Result<FieldSpec> FieldFromJson(const json& object) {
  if (!object.is_object()) {
    return Status::InvalidArgument("field must be an object or a field spec string");
  }
  NOKV_RETURN_IF_ERROR(CheckKeys(object, kFieldKeys, "field"));
  FieldSpec field;
  NOKV_RETURN_IF_ERROR(ReadString(object, "id", "field", true, &field.id));
  NOKV_RETURN_IF_ERROR(ReadString(object, "source", "field", true, &field.source));
  NOKV_RETURN_IF_ERROR(ReadFieldOptions(object, &field));
  // "param.*" is accepted for a flatten prefix, as in the field syntax; stored as "param".
  if (field.flatten && field.id.ends_with(".*")) field.id.resize(field.id.size() - 2);
  NOKV_RETURN_IF_ERROR(ValidateField(field));
  return field;
}

json FieldToJson(const FieldSpec& field) {
  json out = {{"id", field.id}, {"source", field.source}, {"type", FieldTypeName(field.type)}};
  if (field.filter) {
    out["filter"] = {{"path", field.filter->path}, {"equals", ToJson(field.filter->equals)}};
  }
  if (field.reducer) out["reducer"] = ReducerName(*field.reducer);
  if (field.flatten) out["flatten"] = true;
  return out;
}

Result<IndexRule> RuleFromJson(const json& object) {
  if (!object.is_object()) return Status::InvalidArgument("rule must be a JSON object");
  try {
    NOKV_RETURN_IF_ERROR(CheckKeys(object, kRuleKeys, "rule"));
    IndexRule rule;
    NOKV_RETURN_IF_ERROR(ReadString(object, "id", "rule", true, &rule.id));
    NOKV_RETURN_IF_ERROR(ValidateId(rule.id, "rule id"));
    std::string root;
    NOKV_RETURN_IF_ERROR(ReadString(object, "root", "rule", true, &root));
    NOKV_ASSIGN_OR_RETURN(rule.root, NormalizeRoot(root));
    NOKV_RETURN_IF_ERROR(ReadString(object, "glob", "rule", true, &rule.glob));
    NOKV_RETURN_IF_ERROR(ValidateGlob(rule.glob).WithContext("rule"));
    NOKV_RETURN_IF_ERROR(ReadTargetAndLimit(object, &rule));
    auto fields = object.find("fields");
    if (fields == object.end()) return Status::InvalidArgument("rule: missing 'fields'");
    NOKV_RETURN_IF_ERROR(ReadFields(*fields, &rule.fields));
    return rule;
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("rule: ") + e.what());
  }
}

json RuleToJson(const IndexRule& rule) {
  json fields = json::array();
  for (const FieldSpec& field : rule.fields) fields.push_back(FieldToJson(field));
  return {{"id", rule.id},
          {"root", rule.root},
          {"glob", rule.glob},
          {"target", rule.target == IndexRule::Target::kParent ? "parent" : "file"},
          {"fields", std::move(fields)},
          {"max_body_bytes", rule.max_body_bytes}};
}

}  // namespace nokv::records
