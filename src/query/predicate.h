// Predicates of find/aggregate: parsing and validation against a FieldSet
// (unknown fields and unsupported operators are errors with hints), literal
// typing, and evaluation over a row's values with the one typed order of
// records/value.h (null < false < true < numbers < strings).
//
// Plain values; thread-compatible.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "query/fields.h"
#include "records/value.h"

namespace nokv::query {

enum class Op {
  kEq,
  kNe,
  kIn,
  kPrefix,
  kSuffix,
  kContains,
  kGt,
  kGte,
  kLt,
  kLte,
  kExists,
  kNotExists
};

std::string_view OpName(Op op);
// Operators a field of `type` supports, in schema order.
std::vector<std::string> OperatorsFor(ValueType type);

struct Predicate {
  std::string field;
  Op op = Op::kEq;
  std::vector<records::TypedValue> values;  // one, or the 'in' list; none for (not_)exists
  bool builtin = false;
};

// Parses args["predicates"] (absent: none).
VerbError ParsePredicates(const nlohmann::json& args, const FieldSet& fields,
                          std::vector<Predicate>* out);

// True when a row whose field has `values` (empty: missing) satisfies `p`.
// Multi-valued fields match when any value does; ne and not_exists when none does.
bool Matches(const Predicate& p, const std::vector<records::TypedValue>& values);
bool MatchesAll(const std::vector<Predicate>& predicates, const FieldValues& row);

// The literal as the field's type when it converts (e.g. "0.5" for a number field).
records::TypedValue TypeLiteral(const records::TypedValue& literal, ValueType type);

}  // namespace nokv::query
