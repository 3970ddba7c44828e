// YAML to JSON records over yaml-cpp's event parser (no node tree), with the YAML 1.2 core
// schema for plain scalars and limits on values (aliases included: a few bytes of aliases can
// expand exponentially) and nesting.
#include "records/yaml_records.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <exception>
#include <istream>
#include <limits>
#include <map>
#include <optional>
#include <streambuf>
#include <string>

#include "records/format.h"
#include "records/parse_error.h"
#include "records/utf8.h"

namespace nokv::records {
namespace {

using nlohmann::json;

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

// A view of borrowed bytes as an input stream (yaml-cpp reads from one); no copy.
class ViewStreamBuf : public std::streambuf {
 public:
  explicit ViewStreamBuf(std::string_view bytes) {
    char* begin = const_cast<char*>(bytes.data());  // only read: the get area
    setg(begin, begin, begin + bytes.size());
  }
};

// Thrown by the builder to stop the parser at the first error; caught below.
struct StopParse {
  Status status;
};

// Builds JSON records straight from yaml-cpp's parse events (no node tree: a node
// costs hundreds of bytes, a JSON value 16). A document's top-level sequence is
// streamed element by element into the records. Every value, including each one an
// alias copies, is charged to the value budget; nesting is bounded.
class YamlRecordBuilder : public YAML::EventHandler {
 public:
  YamlRecordBuilder(std::vector<json>* records, ValueBudget* budget)
      : records_(records), budget_(budget) {}

  void OnDocumentStart(const YAML::Mark&) override {
    anchors_.clear();
    stack_.clear();
  }
  void OnDocumentEnd() override { anchors_.clear(); }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Charge(mark, 1);
    Complete(mark, json(nullptr), anchor, 1, "null");
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      for (const Frame& open : stack_) {
        if (open.anchor == anchor) Fail(mark, "recursive alias (refers to a node it is in)");
      }
      Fail(mark, "unknown alias");
    }
    Charge(mark, it->second.nodes);
    // Copied: the anchor may be used again.
    Complete(mark, json(it->second.value), 0, it->second.nodes, it->second.key_text);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Charge(mark, 1);
    Complete(mark, ConvertScalar(tag, value), anchor, 1, value);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor, json::array());
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor, json::object());
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Anchored {
    json value;
    size_t nodes = 1;
    std::string key_text;  // a scalar's text, for use as a mapping key
  };
  // An array or object being built. A mapping alternates key and value.
  struct Frame {
    json value;
    YAML::anchor_t anchor = 0;
    YAML::Mark mark;
    size_t taken_at_start = 0;  // budget taken before it, to size an anchored subtree
    bool streamed = false;      // the document's top-level sequence: elements go to records
    std::optional<std::string> key;
  };

  [[noreturn]] static void Fail(const YAML::Mark& mark, std::string_view what) {
    if (mark.is_null()) throw StopParse{ParseError(1, 0, what)};
    throw StopParse{ParseError(mark.line + 1, mark.column + 1, what)};
  }

  void Charge(const YAML::Mark& mark, size_t nodes) {
    if (!budget_->Take(nodes)) Fail(mark, budget_->Exceeded());
  }

  void Open(const YAML::Mark& mark, YAML::anchor_t anchor, json empty) {
    if (stack_.size() >= kMaxParseNesting) {
      Fail(mark, "nesting deeper than " + std::to_string(kMaxParseNesting));
    }
    if (!stack_.empty() && stack_.back().value.is_object() && !stack_.back().key) {
      Fail(mark, "mapping keys must be scalars");
    }
    Charge(mark, 1);
    Frame frame;
    frame.streamed = stack_.empty() && empty.is_array();
    frame.value = std::move(empty);
    frame.anchor = anchor;
    frame.mark = mark;
    frame.taken_at_start = budget_->taken() - 1;
    stack_.push_back(std::move(frame));
  }

  void Close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    if (frame.streamed) return;  // its elements are records already
    size_t nodes = budget_->taken() - frame.taken_at_start;
    Complete(frame.mark, std::move(frame.value), frame.anchor, nodes, {});
  }

  // Places a finished value: into its parent, or as a record.
  void Complete(const YAML::Mark& mark, json value, YAML::anchor_t anchor, size_t nodes,
                std::string_view key_text) {
    if (anchor != 0) anchors_[anchor] = Anchored{value, nodes, std::string(key_text)};
    if (stack_.empty()) {
      if (!value.is_null()) records_->push_back(std::move(value));
      return;
    }
    Frame& parent = stack_.back();
    if (parent.streamed) {
      records_->push_back(std::move(value));
    } else if (parent.value.is_array()) {
      parent.value.push_back(std::move(value));
    } else if (!parent.key) {
      if (value.is_array() || value.is_object()) Fail(mark, "mapping keys must be scalars");
      parent.key =
          value.is_null() && key_text.empty() ? std::string("null") : SanitizeUtf8(key_text);
    } else {
      parent.value[*parent.key] = std::move(value);
      parent.key.reset();
    }
  }

  static json ConvertScalar(const std::string& tag, const std::string& text) {
    // "?" marks a plain scalar, "!" a quoted one; explicit core tags other than str resolve.
    bool resolve =
        tag == "?" || tag.empty() ||
        (tag.starts_with(kTagPrefix) && std::string_view(tag).substr(kTagPrefix.size()) != "str");
    if (resolve) {
      auto resolved = ResolveCoreScalar(text);
      if (resolved) return *std::move(resolved);
    }
    return json(SanitizeUtf8(text));
  }

  std::vector<json>* records_;
  ValueBudget* budget_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, Anchored> anchors_;
};

}  // namespace

Result<std::vector<json>> ParseYamlRecords(std::string_view body) {
  std::vector<json> records;
  ValueBudget budget(kMaxParsedValues);
  YamlRecordBuilder builder(&records, &budget);
  try {
    ViewStreamBuf buffer(body);
    std::istream input(&buffer);
    YAML::Parser parser(input);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const StopParse& stop) {
    return stop.status;
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
