// Predicate parsing, validation and evaluation.
#include "query/predicate.h"

#include <algorithm>
#include <array>

#include "query/args.h"
#include "query/text_codec.h"

namespace nokv::query {
namespace {

using records::TypedValue;

struct OpEntry {
  Op op;
  const char* name;
};
constexpr std::array<OpEntry, 12> kOps = {{{Op::kEq, "eq"},
                                           {Op::kNe, "ne"},
                                           {Op::kIn, "in"},
                                           {Op::kPrefix, "prefix"},
                                           {Op::kSuffix, "suffix"},
                                           {Op::kContains, "contains"},
                                           {Op::kGt, "gt"},
                                           {Op::kGte, "gte"},
                                           {Op::kLt, "lt"},
                                           {Op::kLte, "lte"},
                                           {Op::kExists, "exists"},
                                           {Op::kNotExists, "not_exists"}}};

bool IsTextOp(Op op) { return op == Op::kPrefix || op == Op::kSuffix || op == Op::kContains; }
bool IsOrderOp(Op op) { return op == Op::kGt || op == Op::kGte || op == Op::kLt || op == Op::kLte; }

VerbError ParseValue(const nlohmann::json& p, size_t index, Predicate* out, ValueType type) {
  std::string where = "predicates[" + std::to_string(index) + "]";
  bool has = p.contains("value") && !p["value"].is_null();
  if (out->op == Op::kExists || out->op == Op::kNotExists) {
    if (has)
      return VerbError::InvalidArgument(where + ": " + std::string(OpName(out->op)) +
                                        " takes no value");
    return VerbError::Ok();
  }
  if (!has) return VerbError::InvalidArgument(where + ": missing 'value'");
  const nlohmann::json& v = p["value"];
  if (out->op == Op::kIn) {
    if (!v.is_array() || v.empty()) {
      return VerbError::InvalidArgument(where + ": 'in' takes a non-empty array value",
                                        "e.g. {\"op\": \"in\", \"value\": [\"a\", \"b\"]}");
    }
  } else if (v.is_array()) {
    return VerbError::InvalidArgument(where + ": an array value needs op 'in'");
  }
  for (const auto& item : v.is_array() ? v : nlohmann::json::array({v})) {
    auto typed = records::FromJson(item);
    if (!typed.ok()) return VerbError::InvalidArgument(where + ": value must be a JSON scalar");
    out->values.push_back(TypeLiteral(*typed, type));
  }
  if (IsTextOp(out->op) && out->values[0].kind() != records::ValueKind::kString) {
    return VerbError::InvalidArgument(where + ": " + std::string(OpName(out->op)) +
                                      " takes a string value");
  }
  return VerbError::Ok();
}

VerbError ParseOne(const nlohmann::json& p, size_t index, const FieldSet& fields, Predicate* out) {
  std::string where = "predicates[" + std::to_string(index) + "]";
  if (!p.is_object()) return VerbError::InvalidArgument(where + " must be an object");
  NOKV_VERB_TRY(CheckKeys(p, where, {"field", "op", "value"}));
  NOKV_VERB_TRY(GetString(p, "field", true, &out->field, 1));
  std::string op_name;
  NOKV_VERB_TRY(GetString(p, "op", true, &op_name));
  const FieldInfo* field = nullptr;
  NOKV_VERB_TRY(fields.Require(out->field, &field));
  out->builtin = field->builtin;
  bool known = false;
  std::vector<std::string> names;
  for (const auto& e : kOps) {
    names.push_back(e.name);
    if (op_name == e.name) out->op = e.op, known = true;
  }
  if (!known) {
    std::string near = ClosestMatch(op_name, names);
    return VerbError::InvalidArgument(
        where + ": unknown operator '" + op_name + "'",
        near.empty() ? "operators: eq ne in prefix suffix contains gt gte lt lte exists not_exists"
                     : "did you mean '" + near + "'?");
  }
  ValueType type = fields.TypeOf(*field);
  auto allowed = OperatorsFor(type);
  if (std::find(allowed.begin(), allowed.end(), op_name) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) list += " " + a;
    return VerbError::InvalidArgument(where + ": operator '" + op_name + "' is not supported by " +
                                          std::string(ValueTypeName(type)) + " field '" +
                                          out->field + "'",
                                      "operators for '" + out->field + "':" + list);
  }
  NOKV_VERB_TRY(ParseValue(p, index, out, type));
  // Results print names with the byte escape; a literal compared with one takes it back.
  if (out->builtin && (out->field == "path" || out->field == "name")) {
    for (auto& v : out->values) {
      if (v.kind() == records::ValueKind::kString) {
        v = records::TypedValue::String(UnescapeBytes(v.string_value()));
      }
    }
  }
  return VerbError::Ok();
}

bool MatchOne(const Predicate& p, const TypedValue& v) {
  const TypedValue& lit = p.values.empty() ? v : p.values[0];
  auto text = [&](auto fn) {
    return v.kind() == records::ValueKind::kString && fn(v.string_value(), lit.string_value());
  };
  switch (p.op) {
    case Op::kEq:
    case Op::kNe:
      return Compare(v, lit) == 0;
    case Op::kIn:
      for (const auto& x : p.values) {
        if (Compare(v, x) == 0) return true;
      }
      return false;
    case Op::kPrefix:
      return text([](const std::string& s, const std::string& t) { return s.starts_with(t); });
    case Op::kSuffix:
      return text([](const std::string& s, const std::string& t) { return s.ends_with(t); });
    case Op::kContains:
      return text([](const std::string& s, const std::string& t) {
        return s.find(t) != std::string::npos;
      });
    case Op::kGt:
      return Compare(v, lit) > 0;
    case Op::kGte:
      return Compare(v, lit) >= 0;
    case Op::kLt:
      return Compare(v, lit) < 0;
    case Op::kLte:
      return Compare(v, lit) <= 0;
    default:
      return true;
  }
}

}  // namespace

std::string_view OpName(Op op) {
  for (const auto& e : kOps) {
    if (e.op == op) return e.name;
  }
  return "?";
}

std::vector<std::string> OperatorsFor(ValueType type) {
  std::vector<std::string> out;
  for (const auto& e : kOps) {
    if (IsTextOp(e.op) && type != ValueType::kString && type != ValueType::kMixed) continue;
    if (IsOrderOp(e.op) && type == ValueType::kBool) continue;
    out.push_back(e.name);
  }
  return out;
}

VerbError ParsePredicates(const nlohmann::json& args, const FieldSet& fields,
                          std::vector<Predicate>* out) {
  auto it = args.find("predicates");
  if (it == args.end() || it->is_null()) return VerbError::Ok();
  if (!it->is_array() || it->size() > 32) {
    return VerbError::InvalidArgument("'predicates' must be an array of at most 32 objects");
  }
  for (size_t i = 0; i < it->size(); ++i) {
    Predicate p;
    NOKV_VERB_TRY(ParseOne((*it)[i], i, fields, &p));
    out->push_back(std::move(p));
  }
  return VerbError::Ok();
}

bool Matches(const Predicate& p, const std::vector<TypedValue>& values) {
  if (p.op == Op::kExists) return !values.empty();
  if (p.op == Op::kNotExists) return values.empty();
  bool any = false;
  for (const auto& v : values) any = any || MatchOne(p, v);
  return p.op == Op::kNe ? !any : any;
}

bool MatchesAll(const std::vector<Predicate>& predicates, const FieldValues& row) {
  static const std::vector<TypedValue> kMissing;
  for (const auto& p : predicates) {
    auto it = row.find(p.field);
    if (!Matches(p, it == row.end() ? kMissing : it->second)) return false;
  }
  return true;
}

TypedValue TypeLiteral(const TypedValue& literal, ValueType type) {
  records::FieldType want = type == ValueType::kNumber   ? records::FieldType::kNumber
                            : type == ValueType::kBool   ? records::FieldType::kBool
                            : type == ValueType::kString ? records::FieldType::kString
                                                         : records::FieldType::kAuto;
  if (literal.is_null()) return literal;
  auto coerced = records::Coerce(literal, want);
  return coerced ? *coerced : literal;
}

}  // namespace nokv::query
