// The one shape of a record parse error: InvalidArgument("line L, column C: what").
// Internal to nokv_records.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace nokv::records {

// The most of a parser's own text a parse error repeats: its messages can echo
// a whole offending token (nlohmann's "last read: '...'"), which may be the body.
inline constexpr size_t kMaxParseErrorText = 160;

// `line` and `column` are 1-based; column 0 means unknown and is left out.
// `what` is cut to kMaxParseErrorText bytes (on a UTF-8 boundary, then "...").
inline Status ParseError(size_t line, size_t column, std::string_view what) {
  std::string message = "line " + std::to_string(line);
  if (column > 0) message += ", column " + std::to_string(column);
  message += ": ";
  if (what.size() > kMaxParseErrorText) {
    size_t cut = kMaxParseErrorText;
    while (cut > 0 && (static_cast<unsigned char>(what[cut]) & 0xC0) == 0x80) --cut;
    message.append(what.substr(0, cut)).append("...");
  } else {
    message += what;
  }
  return Status::InvalidArgument(message);
}

// Counts the values a parse builds against a limit (format.h, kMaxParsedValues).
class ValueBudget {
 public:
  explicit ValueBudget(size_t limit) : left_(limit), limit_(limit) {}
  // False once more than `limit` values were taken.
  bool Take(size_t n = 1) {
    if (n > left_) {
      left_ = 0;
      return false;
    }
    left_ -= n;
    return true;
  }
  size_t taken() const { return limit_ - left_; }
  std::string Exceeded() const {
    return "more than " + std::to_string(limit_) + " values (the parse limit)";
  }

 private:
  size_t left_;
  size_t limit_;
};

}  // namespace nokv::records
