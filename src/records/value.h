// TypedValue: the scalar every index field, filter, sort key and group key is made of.
//
// A TypedValue is null, a bool, a number (a finite-or-infinite double, never NaN, -0
// normalized to 0) or a byte string. All of find/aggregate/stat compare values with ONE
// total order (docs/index-rules.md, "Typed value order"):
//
//   null < false < true < every number < every string
//   numbers compare numerically (-inf < ... < +inf), strings bytewise (unsigned bytes).
//
// EncodeOrdered writes a self-delimiting byte string whose memcmp order is exactly that
// order, for the value index (`v` keys). TypedValues are plain values: copy and compare them
// freely from any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/result.h"

namespace nokv::records {

// The declared type of an index field. kAuto keeps each value's own type.
enum class FieldType : uint8_t { kString, kNumber, kBool, kAuto };

// "string", "number", "bool", "auto".
std::string_view FieldTypeName(FieldType type);
// The inverse of FieldTypeName; nullopt for an unknown name.
std::optional<FieldType> ParseFieldType(std::string_view name);

// The kind of value a TypedValue holds, in order-rank order.
enum class ValueKind : uint8_t { kNull, kBool, kNumber, kString };

class TypedValue {
 public:
  TypedValue() = default;  // null
  static TypedValue Null() { return TypedValue(); }
  static TypedValue Bool(bool b);
  // -0 becomes 0. NaN is not a value: it becomes null (callers reject NaN before this).
  static TypedValue Number(double d);
  static TypedValue String(std::string s);

  ValueKind kind() const { return static_cast<ValueKind>(v_.index()); }
  bool is_null() const { return kind() == ValueKind::kNull; }
  // Reading the wrong kind is a programmer error (std::bad_variant_access terminates).
  bool bool_value() const { return std::get<bool>(v_); }
  double number_value() const { return std::get<double>(v_); }
  const std::string& string_value() const { return std::get<std::string>(v_); }

  // A short human form for messages: null, true, 0.5, "text".
  std::string DebugString() const;

 private:
  std::variant<std::monostate, bool, double, std::string> v_;
};

// <0, 0, >0 as a sorts before, equal to, or after b in the total order above.
int Compare(const TypedValue& a, const TypedValue& b);
inline bool operator==(const TypedValue& a, const TypedValue& b) { return Compare(a, b) == 0; }
inline bool operator<(const TypedValue& a, const TypedValue& b) { return Compare(a, b) < 0; }

// Null, bool, number or string JSON. Integral numbers with |x| <= 2^53 become JSON integers.
nlohmann::json ToJson(const TypedValue& value);
// A JSON scalar as a TypedValue. InvalidArgument for objects, arrays and NaN.
Result<TypedValue> FromJson(const nlohmann::json& json);

// Converts `value` to `type`: strings from strings, numbers and bools (their JSON text);
// numbers from numbers and from strings holding a JSON number; bools from bools and the
// strings "true"/"false". kAuto keeps the value. nullopt when not convertible.
std::optional<TypedValue> Coerce(const TypedValue& value, FieldType type);

// Parses a predicate literal as typed on a command line (`--where run.status=completed`).
// A double-quoted JSON string is always a string. Otherwise, by hint: kString takes the
// text verbatim; kNumber a JSON number; kBool true/false; kAuto infers null, true/false,
// a JSON number, else a string. Text that does not fit the hint is a string.
TypedValue ParseLiteral(std::string_view text, FieldType hint = FieldType::kAuto);

// Version of the ordered encoding below (docs/index-rules.md). Bump only with a migration.
inline constexpr int kOrderedEncodingVersion = 1;

// Appends the order-preserving, self-delimiting encoding of `value` to *out:
//   null 0x01 | false 0x02 | true 0x03 | number 0x04 + 8 bytes | string 0x05 + bytes + 00 01
// Numbers: IEEE-754 bits, sign bit flipped for positives, all bits flipped for negatives,
// big-endian. Strings: each 0x00 byte written as 00 FF, then the terminator 00 01.
void EncodeOrdered(const TypedValue& value, std::string* out);
// Decodes one value from the front of *in and advances *in past it. False (and *in
// unspecified) on truncated or non-canonical bytes.
bool DecodeOrdered(std::string_view* in, TypedValue* out);

}  // namespace nokv::records
