// The compact command-line field syntax (docs/index-rules.md, "Field syntax"):
//
//   field     = id [ ":" type ] "=" expr          ; id "X.*" marks a flatten prefix X
//   expr      = fn "(" selection ")" | selection
//   fn        = first | last | min | max | count | sum | flatten
//   selection = source [ "where" source "==" literal ]
#include <cctype>

#include "records/rule.h"
#include "records/utf8.h"

namespace nokv::records {
namespace {

constexpr std::string_view kFlattenFn = "flatten";
constexpr std::string_view kFlattenSuffix = ".*";
constexpr std::string_view kWhere = "where";

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

Status BadSpec(std::string_view text, std::string_view what) {
  return Status::InvalidArgument("field spec '" + SanitizeUtf8(text) + "': " + std::string(what));
}

// Takes a source token off the front of *s: up to whitespace or '=' outside brackets and
// quotes.
std::string_view TakeSource(std::string_view* s) {
  size_t i = 0;
  int depth = 0;
  char quote = 0;
  for (; i < s->size(); ++i) {
    char c = (*s)[i];
    if (quote != 0) {
      if (c == '\\')
        ++i;
      else if (c == quote)
        quote = 0;
      continue;
    }
    if (depth > 0 && (c == '"' || c == '\''))
      quote = c;
    else if (c == '[')
      ++depth;
    else if (c == ']')
      --depth;
    else if (depth == 0 && (IsSpace(c) || c == '='))
      break;
  }
  std::string_view token = s->substr(0, i);
  *s = Trim(s->substr(std::min(i, s->size())));
  return token;
}

// Parses `selection` into field->source and field->filter.
Status ParseSelection(std::string_view text, std::string_view selection, FieldSpec* field) {
  std::string_view rest = Trim(selection);
  field->source = std::string(TakeSource(&rest));
  if (field->source.empty()) return BadSpec(text, "missing source (like $.a.b)");
  if (rest.empty()) return Status::Ok();
  if (!rest.starts_with(kWhere) || rest.size() == kWhere.size() || !IsSpace(rest[kWhere.size()])) {
    return BadSpec(text, "expected 'where <source> == <literal>' after the source");
  }
  rest = Trim(rest.substr(kWhere.size()));
  RecordFilter filter;
  filter.path = std::string(TakeSource(&rest));
  if (filter.path.empty() || !rest.starts_with("==")) {
    return BadSpec(text, "expected 'where <source> == <literal>'");
  }
  rest = Trim(rest.substr(2));
  if (rest.empty()) return BadSpec(text, "missing literal after '=='");
  filter.equals = ParseLiteral(rest, FieldType::kAuto);
  field->filter = std::move(filter);
  return Status::Ok();
}

// Splits "fn(inner)" into fn and inner; false when `expr` is not a call.
bool SplitCall(std::string_view expr, std::string_view* fn, std::string_view* inner) {
  size_t open = expr.find('(');
  if (open == std::string_view::npos || open == 0 || expr.back() != ')') return false;
  for (size_t i = 0; i < open; ++i) {
    if (!std::islower(static_cast<unsigned char>(expr[i]))) return false;
  }
  *fn = expr.substr(0, open);
  *inner = expr.substr(open + 1, expr.size() - open - 2);
  return true;
}

Status ParseExpression(std::string_view text, std::string_view expr, FieldSpec* field) {
  std::string_view fn, inner;
  if (!SplitCall(expr, &fn, &inner)) return ParseSelection(text, expr, field);
  if (fn == kFlattenFn) {
    field->flatten = true;
  } else {
    field->reducer = ParseReducer(fn);
    if (!field->reducer) {
      return BadSpec(text, "unknown function '" + std::string(fn) +
                               "' (use first, last, min, max, count, sum or flatten)");
    }
  }
  return ParseSelection(text, inner, field);
}

// A literal ParseLiteral reads back as `value`: its JSON text.
std::string LiteralText(const TypedValue& value) {
  return ToJson(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Result<FieldSpec> ParseFieldSpec(std::string_view text) {
  std::string_view spec = Trim(text);
  size_t equals = spec.find('=');
  if (equals == std::string_view::npos) return BadSpec(text, "expected <id>[:<type>]=<source>");
  std::string_view lhs = Trim(spec.substr(0, equals));
  FieldSpec field;
  size_t colon = lhs.find(':');
  if (colon != std::string_view::npos) {
    auto type = ParseFieldType(Trim(lhs.substr(colon + 1)));
    if (!type) return BadSpec(text, "type must be one of string, number, bool, auto");
    field.type = *type;
    lhs = Trim(lhs.substr(0, colon));
  }
  bool flatten_id = lhs.ends_with(kFlattenSuffix);
  if (flatten_id) lhs.remove_suffix(kFlattenSuffix.size());
  field.id = std::string(lhs);
  NOKV_RETURN_IF_ERROR(ParseExpression(text, Trim(spec.substr(equals + 1)), &field));
  if (flatten_id && !field.flatten) {
    return BadSpec(text, "an id ending in '.*' needs flatten(<source>)");
  }
  NOKV_RETURN_IF_ERROR(ValidateField(field));
  return field;
}

std::string FieldSpecToString(const FieldSpec& field) {
  std::string out = field.id;
  if (field.flatten) out += kFlattenSuffix;
  if (field.type != FieldType::kAuto) out += ":" + std::string(FieldTypeName(field.type));
  out += "=";
  std::string selection = field.source;
  if (field.filter) {
    selection += " where " + field.filter->path + " == " + LiteralText(field.filter->equals);
  }
  if (field.flatten) return out + std::string(kFlattenFn) + "(" + selection + ")";
  if (field.reducer) return out + std::string(ReducerName(*field.reducer)) + "(" + selection + ")";
  return out + selection;
}

}  // namespace nokv::records
