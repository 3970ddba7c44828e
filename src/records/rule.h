// IndexRule: under a root, for files matching a glob, which fields to extract into the row
// of the file or of its parent directory. Rules are stored (meta `r` family) and exchanged
// as JSON, and written on command lines with the compact field syntax.
//
// The JSON shape, the field grammar and every validation rule are in docs/index-rules.md.
// Plain values; all functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "records/value.h"

namespace nokv::records {

inline constexpr size_t kMaxIdBytes = 128;
inline constexpr uint64_t kDefaultMaxBodyBytes = uint64_t{4} << 20;
inline constexpr uint64_t kMaxMaxBodyBytes = uint64_t{256} << 20;

// Keeps a record only when a value at `path` equals `equals` in the typed-value order
// (values keep their own JSON types: 3 matches 3 and 3.0, never "3").
struct RecordFilter {
  std::string path;  // a source path, see source_path.h
  TypedValue equals;
  bool operator==(const RecordFilter&) const = default;
};

// Folds the values of all records that pass the filter into one value.
enum class Reducer : uint8_t { kFirst, kLast, kMin, kMax, kCount, kSum };

// "first" "last" "min" "max" "count" "sum" and back.
std::string_view ReducerName(Reducer reducer);
std::optional<Reducer> ParseReducer(std::string_view name);

struct FieldSpec {
  // The field id; with flatten, the prefix of the generated ids.
  std::string id;
  // Where the values are in a record: "$", "$.a.b", "$.a[0].b", "/a/b".
  std::string source;
  // Values are coerced to this type; kAuto keeps each value's own type. count and sum
  // produce numbers and need kNumber or kAuto.
  FieldType type = FieldType::kAuto;
  std::optional<RecordFilter> filter = std::nullopt;
  std::optional<Reducer> reducer = std::nullopt;
  // Every scalar leaf under source becomes field "<id>.<dotted.key.path>" (array elements
  // add values to their array's path). No reducer allowed.
  bool flatten = false;
  bool operator==(const FieldSpec&) const = default;
};

struct IndexRule {
  enum class Target : uint8_t { kFile, kParent };

  std::string id;
  std::string root;  // absolute, normalized: no trailing '/', no "." or empty parts
  std::string glob;  // relative to root, see glob.h
  Target target = Target::kFile;
  std::vector<FieldSpec> fields;
  uint64_t max_body_bytes = kDefaultMaxBodyBytes;
  bool operator==(const IndexRule&) const = default;
};

// OK when `id` is non-empty, at most kMaxIdBytes, with no NUL and no whitespace;
// InvalidArgument naming `what` ("rule id", "field id") otherwise.
Status ValidateId(std::string_view id, std::string_view what);

// Checks one field: id, source and filter paths, reducer/type/flatten combinations.
Status ValidateField(const FieldSpec& field);

// Parses and validates a rule. Keys: id, root, glob, target ("file" | "parent", default
// "file"), fields (objects, or strings in the compact field syntax), max_body_bytes
// (default 4 MiB). Unknown keys are rejected with a "did you mean" hint; the root is
// normalized. InvalidArgument naming the offending key on any problem.
Result<IndexRule> RuleFromJson(const nlohmann::json& json);

// The canonical JSON of a rule (fields as objects); RuleFromJson(RuleToJson(r)) == r.
nlohmann::json RuleToJson(const IndexRule& rule);

// Field JSON: {"id", "source", "type"?, "filter"? {"path", "equals"}, "reducer"?, "flatten"?}.
Result<FieldSpec> FieldFromJson(const nlohmann::json& json);
nlohmann::json FieldToJson(const FieldSpec& field);

// The compact command-line field syntax (docs/index-rules.md, "Field syntax"):
//   run.status=$.status
//   run.epochs:number=$.epochs
//   metric.val_loss.min:number=min($.value where $.name == "val_loss")
//   param.*=flatten($)
Result<FieldSpec> ParseFieldSpec(std::string_view text);
// The compact form of `field`; ParseFieldSpec(FieldSpecToString(f)) == f.
std::string FieldSpecToString(const FieldSpec& field);

}  // namespace nokv::records
