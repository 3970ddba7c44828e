// YAML to JSON records over yaml-cpp, with the YAML 1.2 core schema for plain scalars and
// limits on nesting and alias expansion (a few bytes of aliases can expand exponentially).
#include "records/yaml_records.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <string>

#include "records/parse_error.h"
#include "records/utf8.h"

namespace nokv::records {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 128;
// Converted nodes allowed per input byte (plus a floor), against alias bombs.
constexpr size_t kNodesPerByte = 16;
constexpr size_t kMinNodeBudget = 1 << 16;

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

bool AllOf(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}
bool IsDec(char c) { return c >= '0' && c <= '9'; }
bool IsOct(char c) { return c >= '0' && c <= '7'; }
bool IsHex(char c) { return IsDec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string_view StripSign(std::string_view s, bool* negative) {
  *negative = !s.empty() && s.front() == '-';
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  return s;
}

// [0-9]+ ('.' [0-9]*)? | '.' [0-9]+, then an optional exponent; no sign.
bool IsCoreFloat(std::string_view s) {
  size_t i = 0, int_digits = 0, frac_digits = 0;
  while (i < s.size() && IsDec(s[i])) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDec(s[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!AllOf(s.substr(i), IsDec)) return false;
    i = s.size();
  }
  return i == s.size();
}

std::optional<json> ParseInteger(std::string_view digits, int base, bool negative) {
  uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  if (!negative) return json(magnitude);
  if (magnitude <= uint64_t{1} << 63) return json(static_cast<int64_t>(0 - magnitude));
  return json(-static_cast<double>(magnitude));
}

// Resolves a plain scalar by the YAML 1.2 core schema; nullopt means "a string".
std::optional<json> ResolveCoreScalar(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return json(nullptr);
  if (s == "true" || s == "True" || s == "TRUE") return json(true);
  if (s == "false" || s == "False" || s == "FALSE") return json(false);
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    return json(std::numeric_limits<double>::quiet_NaN());
  }
  if (s.size() > 2 && s[0] == '0' && s[1] == 'o' && AllOf(s.substr(2), IsOct)) {
    return ParseInteger(s.substr(2), 8, false);
  }
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x' && AllOf(s.substr(2), IsHex)) {
    return ParseInteger(s.substr(2), 16, false);
  }
  bool negative = false;
  std::string_view unsigned_part = StripSign(s, &negative);
  if (unsigned_part == ".inf" || unsigned_part == ".Inf" || unsigned_part == ".INF") {
    double inf = std::numeric_limits<double>::infinity();
    return json(negative ? -inf : inf);
  }
  if (AllOf(unsigned_part, IsDec)) {
    auto integer = ParseInteger(unsigned_part, 10, negative);
    if (integer) return integer;  // else too large for 64 bits: parse as a double below
  }
  if (!AllOf(unsigned_part, IsDec) && !IsCoreFloat(unsigned_part)) return std::nullopt;
  double d = 0;
  auto [ptr, ec] =
      std::from_chars(unsigned_part.data(), unsigned_part.data() + unsigned_part.size(), d);
  if (ec != std::errc()) return std::nullopt;
  return json(negative ? -d : d);
}

class YamlConverter {
 public:
  explicit YamlConverter(size_t node_budget) : nodes_left_(node_budget) {}

  Result<json> Convert(const YAML::Node& node, int depth) {
    if (depth > kMaxDepth) return Error(node, "nesting deeper than " + std::to_string(kMaxDepth));
    if (nodes_left_ == 0) return Error(node, "document expands to too many nodes (aliases?)");
    --nodes_left_;
    switch (node.Type()) {
      case YAML::NodeType::Sequence: {
        json array = json::array();
        for (const YAML::Node& child : node) {
          NOKV_ASSIGN_OR_RETURN(json value, Convert(child, depth + 1));
          array.push_back(std::move(value));
        }
        return array;
      }
      case YAML::NodeType::Map:
        return ConvertMap(node, depth);
      case YAML::NodeType::Scalar:
        return ConvertScalar(node);
      default:
        return json(nullptr);
    }
  }

 private:
  static Status Error(const YAML::Node& node, std::string_view what) {
    YAML::Mark mark = node.Mark();
    if (mark.is_null()) return ParseError(1, 0, what);
    return ParseError(mark.line + 1, mark.column + 1, what);
  }

  Result<json> ConvertMap(const YAML::Node& node, int depth) {
    json object = json::object();
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      if (!key.IsScalar() && !key.IsNull()) return Error(key, "mapping keys must be scalars");
      NOKV_ASSIGN_OR_RETURN(json value, Convert(entry.second, depth + 1));
      object[key.IsNull() ? std::string("null") : SanitizeUtf8(key.Scalar())] = std::move(value);
    }
    return object;
  }

  static json ConvertScalar(const YAML::Node& node) {
    const std::string& tag = node.Tag();
    // "?" marks a plain scalar, "!" a quoted one; explicit core tags other than str resolve.
    bool resolve = tag == "?" || (tag.starts_with(kTagPrefix) &&
                                  std::string_view(tag).substr(kTagPrefix.size()) != "str");
    if (resolve) {
      auto resolved = ResolveCoreScalar(node.Scalar());
      if (resolved) return *std::move(resolved);
    }
    return json(SanitizeUtf8(node.Scalar()));
  }

  size_t nodes_left_;
};

}  // namespace

Result<std::vector<json>> ParseYamlRecords(std::string_view body) {
  std::vector<json> records;
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(std::string(body));
    YamlConverter converter(std::max(kMinNodeBudget, body.size() * kNodesPerByte));
    for (const YAML::Node& document : documents) {
      if (!document.IsDefined() || document.IsNull()) continue;
      NOKV_ASSIGN_OR_RETURN(json value, converter.Convert(document, 0));
      if (value.is_array()) {
        for (json& element : value) records.push_back(std::move(element));
      } else {
        records.push_back(std::move(value));
      }
    }
  } catch (const YAML::DeepRecursion& e) {
    return ParseError(e.mark.line + 1, e.mark.column + 1, "nesting too deep");
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return ParseError(1, 0, e.msg);
    return ParseError(e.mark.line + 1, e.mark.column + 1, e.msg);
  } catch (const std::exception& e) {
    return ParseError(1, 0, e.what());
  }
  return records;
}

}  // namespace nokv::records
