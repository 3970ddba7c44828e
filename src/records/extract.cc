// Extraction of index rows: filters, coercion, reducers, flatten and caps (see extract.h).
#include "records/extract.h"

#include <set>

#include "records/source_path.h"

namespace nokv::records {
namespace {

using nlohmann::json;

// Accumulates a row and the report. Invariant: every field holds 1..kMaxValuesPerField
// distinct values.
class RowBuilder {
 public:
  explicit RowBuilder(ExtractReport* report) : report_(report) {}

  void Add(const std::string& id, TypedValue value) {
    std::vector<TypedValue>& values = row_.fields[id];
    for (const TypedValue& existing : values) {
      if (existing == value) return;
    }
    if (values.size() >= kMaxValuesPerField) {
      Truncate("field '" + id + "' has more than " + std::to_string(kMaxValuesPerField) +
               " distinct values");
      return;
    }
    values.push_back(std::move(value));
  }

  void Skip(std::string_view field_id, size_t item, std::string_view why) {
    ++report_->skipped_values;
    Note("field '" + std::string(field_id) + "', item " + std::to_string(item) + ": " +
         std::string(why));
  }

  void Truncate(std::string_view what) {
    report_->truncated = true;
    Note(what);
  }

  Row Finish() { return std::move(row_); }

 private:
  void Note(std::string_view what) {
    if (report_->error.empty()) report_->error = std::string(what);
  }

  Row row_;
  ExtractReport* report_;
};

// A scalar node as a value of `type`: a null TypedValue for JSON null (missing), nullopt
// with *why set when it cannot be used.
std::optional<TypedValue> FieldValue(const json& node, FieldType type, std::string* why) {
  Result<TypedValue> value = FromJson(node);
  if (!value.ok()) {
    *why = std::string(value.error().message());
    return std::nullopt;
  }
  std::optional<TypedValue> coerced = Coerce(*value, type);
  if (!coerced) {
    *why = value->DebugString() + " is not a " + std::string(FieldTypeName(type));
  }
  return coerced;
}

// Calls fn(node) for each node at `path` in `record`, an array's elements in its place.
template <typename Fn>
void ForEachValueNode(const SourcePath& path, const json& record, Fn&& fn) {
  std::vector<const json*> nodes;
  path.Resolve(record, &nodes);
  for (const json* node : nodes) {
    if (!node->is_array()) {
      fn(*node);
      continue;
    }
    for (const json& element : *node) fn(element);
  }
}

// Folds values under one reducer.
class Reduction {
 public:
  explicit Reduction(Reducer reducer) : reducer_(reducer) {}

  // False when the value does not suit the reducer (a non-number under sum).
  bool Add(const TypedValue& value) {
    if (reducer_ == Reducer::kSum) {
      if (value.kind() != ValueKind::kNumber) return false;
      sum_ += value.number_value();
    }
    bool replace = !acc_ || reducer_ == Reducer::kLast ||
                   (reducer_ == Reducer::kMin && Compare(value, *acc_) < 0) ||
                   (reducer_ == Reducer::kMax && Compare(value, *acc_) > 0);
    if (replace) acc_ = value;
    return true;
  }
  void CountRecord() { ++records_; }

  std::optional<TypedValue> Value() const {
    if (reducer_ == Reducer::kCount) return TypedValue::Number(static_cast<double>(records_));
    if (reducer_ == Reducer::kSum) {
      return acc_ ? std::optional(TypedValue::Number(sum_)) : std::nullopt;
    }
    return acc_;
  }

 private:
  Reducer reducer_;
  std::optional<TypedValue> acc_;
  double sum_ = 0;
  size_t records_ = 0;
};

// One field of a rule with its paths parsed.
struct CompiledField {
  const FieldSpec* spec;
  SourcePath source;
  std::optional<SourcePath> filter;
};

bool PassesFilter(const CompiledField& field, const json& record) {
  if (!field.filter) return true;
  bool match = false;
  ForEachValueNode(*field.filter, record, [&](const json& node) {
    Result<TypedValue> value = FromJson(node);
    if (value.ok() && *value == field.spec->filter->equals) match = true;
  });
  return match;
}

Result<CompiledField> Compile(const FieldSpec& spec) {
  NOKV_RETURN_IF_ERROR(ValidateField(spec));
  NOKV_ASSIGN_OR_RETURN(SourcePath source, SourcePath::Parse(spec.source));
  CompiledField field{&spec, std::move(source), std::nullopt};
  if (spec.filter) {
    NOKV_ASSIGN_OR_RETURN(field.filter, SourcePath::Parse(spec.filter->path));
  }
  return field;
}

// Walks one flatten field's nodes into generated ids.
class Flattener {
 public:
  Flattener(const FieldSpec& spec, RowBuilder* row) : spec_(spec), row_(row) {}

  void Walk(const json& node, const std::string& id, int depth, size_t item) {
    if (node.is_object() || node.is_array()) {
      if (depth >= kMaxFlattenDepth) {
        row_->Truncate("field '" + id + "' nests deeper than " + std::to_string(kMaxFlattenDepth) +
                       " levels");
        return;
      }
      for (const auto& child : node.items()) {
        Walk(child.value(), node.is_object() ? id + "." + child.key() : id, depth + 1, item);
      }
      return;
    }
    if (!ValidateId(id, "flattened field id").ok()) {
      row_->Skip(spec_.id, item, "'" + id + "' is not a valid field id");
      return;
    }
    if (!ids_.contains(id) && ids_.size() >= kMaxFlattenLeaves) {
      row_->Truncate("field '" + spec_.id + "' flattens to more than " +
                     std::to_string(kMaxFlattenLeaves) + " fields");
      return;
    }
    std::string why;
    std::optional<TypedValue> value = FieldValue(node, spec_.type, &why);
    if (!value) return row_->Skip(id, item, why);
    if (value->is_null()) return;
    ids_.insert(id);
    row_->Add(id, *std::move(value));
  }

 private:
  const FieldSpec& spec_;
  RowBuilder* row_;
  std::set<std::string> ids_;
};

void ExtractFlatten(const CompiledField& field, const Records& records, RowBuilder* row) {
  Flattener flattener(*field.spec, row);
  for (size_t i = 0; i < records.records.size(); ++i) {
    const json& record = records.records[i];
    if (!PassesFilter(field, record)) continue;
    std::vector<const json*> nodes;
    field.source.Resolve(record, &nodes);
    for (const json* node : nodes) flattener.Walk(*node, field.spec->id, 0, i);
  }
}

void ExtractValues(const CompiledField& field, const Records& records, RowBuilder* row) {
  const FieldSpec& spec = *field.spec;
  std::optional<Reduction> reduction;
  if (spec.reducer) reduction.emplace(*spec.reducer);
  for (size_t i = 0; i < records.records.size(); ++i) {
    const json& record = records.records[i];
    if (!PassesFilter(field, record)) continue;
    bool has_value = false;
    ForEachValueNode(field.source, record, [&](const json& node) {
      std::string why;
      std::optional<TypedValue> value = FieldValue(node, spec.type, &why);
      if (!value) return row->Skip(spec.id, i, why);
      if (value->is_null()) return;
      if (reduction && !reduction->Add(*value)) {
        return row->Skip(spec.id, i, value->DebugString() + " is not a number to sum");
      }
      has_value = true;
      if (!reduction) row->Add(spec.id, *std::move(value));
    });
    if (has_value && reduction) reduction->CountRecord();
  }
  if (!reduction) return;
  if (std::optional<TypedValue> value = reduction->Value()) row->Add(spec.id, *std::move(value));
}

}  // namespace

Result<Row> Extract(const IndexRule& rule, const Records& records, ExtractReport* report) {
  ExtractReport local;
  if (report == nullptr) report = &local;
  *report = ExtractReport();
  RowBuilder row(report);
  for (const FieldSpec& spec : rule.fields) {
    NOKV_ASSIGN_OR_RETURN(CompiledField field, Compile(spec));
    if (spec.flatten) {
      ExtractFlatten(field, records, &row);
    } else {
      ExtractValues(field, records, &row);
    }
  }
  return row.Finish();
}

Result<Row> ExtractFromBody(const IndexRule& rule, std::string_view file_name,
                            std::string_view body, ExtractReport* report) {
  if (body.size() > rule.max_body_bytes) {
    return Status::FailedPrecondition(std::string(file_name) + ": body is " +
                                      std::to_string(body.size()) + " bytes, over the rule's " +
                                      "max_body_bytes of " + std::to_string(rule.max_body_bytes) +
                                      "; not indexed");
  }
  Result<Records> records = ParseRecords(body, DetectFormat(file_name));
  if (!records.ok()) return records.status().WithContext(file_name);
  return Extract(rule, *records, report);
}

}  // namespace nokv::records
