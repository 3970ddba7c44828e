// TypedValue: construction, the total order, JSON conversion, coercion, literals and the
// order-preserving encoding (docs/index-rules.md).
#include "records/value.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "common/coding.h"
#include "records/scalar_text.h"

namespace nokv::records {
namespace {

// Ordered-encoding type tags. 0x00 is left free so callers can build "before all" bounds.
constexpr char kTagNull = 0x01;
constexpr char kTagFalse = 0x02;
constexpr char kTagTrue = 0x03;
constexpr char kTagNumber = 0x04;
constexpr char kTagString = 0x05;
// Inside an encoded string: 0x00 is escaped as 00 FF; 00 01 terminates.
constexpr char kEscape = 0x00;
constexpr char kEscapedZero = static_cast<char>(0xFF);
constexpr char kTerminator = 0x01;

constexpr uint64_t kSignBit = uint64_t{1} << 63;
constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

uint64_t OrderedNumberBits(double d) {
  uint64_t bits = std::bit_cast<uint64_t>(d);
  return (bits & kSignBit) ? ~bits : (bits | kSignBit);
}

double NumberFromOrderedBits(uint64_t bits) {
  return std::bit_cast<double>((bits & kSignBit) ? (bits & ~kSignBit) : ~bits);
}

// JSON text of a number, integers without a fraction ("3", not "3.0").
std::string NumberText(double d) { return ToJson(TypedValue::Number(d)).dump(); }

bool DecodeString(std::string_view* in, TypedValue* out) {
  std::string s;
  while (true) {
    size_t zero = in->find(kEscape);
    if (zero == std::string_view::npos || zero + 1 >= in->size()) return false;
    s.append(in->substr(0, zero));
    char next = (*in)[zero + 1];
    in->remove_prefix(zero + 2);
    if (next == kTerminator) break;
    if (next != kEscapedZero) return false;
    s.push_back('\0');
  }
  *out = TypedValue::String(std::move(s));
  return true;
}

}  // namespace

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "string";
    case FieldType::kNumber:
      return "number";
    case FieldType::kBool:
      return "bool";
    case FieldType::kAuto:
      return "auto";
  }
  return "auto";
}

std::optional<FieldType> ParseFieldType(std::string_view name) {
  for (FieldType t : {FieldType::kString, FieldType::kNumber, FieldType::kBool, FieldType::kAuto}) {
    if (FieldTypeName(t) == name) return t;
  }
  return std::nullopt;
}

TypedValue TypedValue::Bool(bool b) {
  TypedValue v;
  v.v_ = b;
  return v;
}

TypedValue TypedValue::Number(double d) {
  TypedValue v;
  if (std::isnan(d)) return v;
  v.v_ = (d == 0) ? 0.0 : d;  // folds -0 into 0
  return v;
}

TypedValue TypedValue::String(std::string s) {
  TypedValue v;
  v.v_ = std::move(s);
  return v;
}

std::string TypedValue::DebugString() const {
  return ToJson(*this).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int Compare(const TypedValue& a, const TypedValue& b) {
  if (a.kind() != b.kind()) return a.kind() < b.kind() ? -1 : 1;
  switch (a.kind()) {
    case ValueKind::kNull:
      return 0;
    case ValueKind::kBool:
      return static_cast<int>(a.bool_value()) - static_cast<int>(b.bool_value());
    case ValueKind::kNumber:
      if (a.number_value() < b.number_value()) return -1;
      return a.number_value() > b.number_value() ? 1 : 0;
    case ValueKind::kString: {
      int c = a.string_value().compare(b.string_value());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
  }
  return 0;
}

nlohmann::json ToJson(const TypedValue& value) {
  switch (value.kind()) {
    case ValueKind::kNull:
      return nullptr;
    case ValueKind::kBool:
      return value.bool_value();
    case ValueKind::kString:
      return value.string_value();
    case ValueKind::kNumber: {
      double d = value.number_value();
      if (std::trunc(d) == d && std::fabs(d) <= kMaxExactInteger) {
        return static_cast<int64_t>(d);
      }
      return d;
    }
  }
  return nullptr;
}

Result<TypedValue> FromJson(const nlohmann::json& json) {
  switch (json.type()) {
    case nlohmann::json::value_t::null:
      return TypedValue::Null();
    case nlohmann::json::value_t::boolean:
      return TypedValue::Bool(json.get<bool>());
    case nlohmann::json::value_t::string:
      return TypedValue::String(json.get<std::string>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: {
      double d = json.get<double>();
      if (std::isnan(d)) return Status::InvalidArgument("NaN is not a value");
      return TypedValue::Number(d);
    }
    default:
      return Status::InvalidArgument(std::string("not a scalar: ") + json.type_name());
  }
}

std::optional<TypedValue> Coerce(const TypedValue& value, FieldType type) {
  if (type == FieldType::kAuto || value.is_null()) return value;
  ValueKind kind = value.kind();
  switch (type) {
    case FieldType::kString:
      if (kind == ValueKind::kString) return value;
      if (kind == ValueKind::kBool)
        return TypedValue::String(value.bool_value() ? "true" : "false");
      return TypedValue::String(NumberText(value.number_value()));
    case FieldType::kNumber:
      if (kind == ValueKind::kNumber) return value;
      if (kind == ValueKind::kString) {
        auto number = ParseJsonNumber(value.string_value());
        if (number) return TypedValue::Number(number->get<double>());
      }
      return std::nullopt;
    case FieldType::kBool:
      if (kind == ValueKind::kBool) return value;
      if (kind == ValueKind::kString) {
        if (value.string_value() == "true") return TypedValue::Bool(true);
        if (value.string_value() == "false") return TypedValue::Bool(false);
      }
      return std::nullopt;
    case FieldType::kAuto:
      break;
  }
  return value;
}

TypedValue ParseLiteral(std::string_view text, FieldType hint) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_string()) return TypedValue::String(parsed.get<std::string>());
  }
  bool want_null = hint == FieldType::kAuto;
  bool want_bool = hint == FieldType::kAuto || hint == FieldType::kBool;
  bool want_number = hint == FieldType::kAuto || hint == FieldType::kNumber;
  if (want_null && text == "null") return TypedValue::Null();
  if (want_bool && (text == "true" || text == "false")) return TypedValue::Bool(text == "true");
  if (want_number) {
    auto number = ParseJsonNumber(text);
    if (number) return TypedValue::Number(number->get<double>());
  }
  return TypedValue::String(std::string(text));
}

void EncodeOrdered(const TypedValue& value, std::string* out) {
  switch (value.kind()) {
    case ValueKind::kNull:
      out->push_back(kTagNull);
      return;
    case ValueKind::kBool:
      out->push_back(value.bool_value() ? kTagTrue : kTagFalse);
      return;
    case ValueKind::kNumber:
      out->push_back(kTagNumber);
      PutFixed64(out, OrderedNumberBits(value.number_value()));
      return;
    case ValueKind::kString:
      out->push_back(kTagString);
      for (char c : value.string_value()) {
        out->push_back(c);
        if (c == kEscape) out->push_back(kEscapedZero);
      }
      out->push_back(kEscape);
      out->push_back(kTerminator);
      return;
  }
}

bool DecodeOrdered(std::string_view* in, TypedValue* out) {
  if (in->empty()) return false;
  char tag = in->front();
  in->remove_prefix(1);
  switch (tag) {
    case kTagNull:
      *out = TypedValue::Null();
      return true;
    case kTagFalse:
      *out = TypedValue::Bool(false);
      return true;
    case kTagTrue:
      *out = TypedValue::Bool(true);
      return true;
    case kTagNumber: {
      if (in->size() < 8) return false;
      double d = NumberFromOrderedBits(DecodeFixed64(in->data()));
      in->remove_prefix(8);
      // NaN and -0 are never written; reject them so every value has one encoding.
      if (std::isnan(d) || (d == 0 && std::signbit(d))) return false;
      *out = TypedValue::Number(d);
      return true;
    }
    case kTagString:
      return DecodeString(in, out);
    default:
      return false;
  }
}

}  // namespace nokv::records
