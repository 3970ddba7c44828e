// Reduction of several files' rows into one parent row.
#include "records/combine.h"

#include <algorithm>
#include <optional>

#include "records/extract.h"

namespace nokv::records {
namespace {

// The reducer of field `id`, or nullopt when the field's values are united.
std::optional<Reducer> ReducerOf(const IndexRule& rule, const std::string& id) {
  for (const auto& spec : rule.fields) {
    if (!spec.flatten && spec.id == id) return spec.reducer;
  }
  return std::nullopt;
}

void Fold(std::optional<Reducer> reducer, const std::vector<TypedValue>& values,
          std::vector<TypedValue>* acc) {
  if (values.empty()) return;
  if (!reducer) {
    for (const auto& v : values) {
      if (acc->size() >= kMaxValuesPerField) return;
      if (std::find(acc->begin(), acc->end(), v) == acc->end()) acc->push_back(v);
    }
    return;
  }
  const TypedValue& v = values.front();  // reduced fields hold exactly one value
  if (acc->empty()) {
    acc->push_back(v);
    return;
  }
  TypedValue& cur = acc->front();
  switch (*reducer) {
    case Reducer::kFirst:
      break;
    case Reducer::kLast:
      cur = v;
      break;
    case Reducer::kMin:
      if (Compare(v, cur) < 0) cur = v;
      break;
    case Reducer::kMax:
      if (Compare(v, cur) > 0) cur = v;
      break;
    case Reducer::kCount:
    case Reducer::kSum:
      if (v.kind() == ValueKind::kNumber && cur.kind() == ValueKind::kNumber) {
        cur = TypedValue::Number(cur.number_value() + v.number_value());
      }
      break;
  }
}

}  // namespace

Row CombineRows(const IndexRule& rule, const std::vector<const Row*>& contributions) {
  if (contributions.size() == 1) return *contributions.front();
  Row out;
  for (const Row* row : contributions) {
    for (const auto& [id, values] : row->fields) Fold(ReducerOf(rule, id), values, &out.fields[id]);
  }
  std::erase_if(out.fields, [](const auto& field) { return field.second.empty(); });
  return out;
}

}  // namespace nokv::records
