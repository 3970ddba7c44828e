// JSON number and boolean recognition for text scalars.
#include "records/scalar_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace nokv::records {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Advances *i over one or more digits; false when there is none.
bool SkipDigits(std::string_view text, size_t* i) {
  size_t start = *i;
  while (*i < text.size() && IsDigit(text[*i])) ++*i;
  return *i > start;
}

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != b[i]) return false;
  }
  return true;
}

}  // namespace

bool IsJsonNumberText(std::string_view text) {
  size_t i = 0;
  if (i < text.size() && text[i] == '-') ++i;
  if (i < text.size() && text[i] == '0') {
    ++i;
  } else if (!SkipDigits(text, &i)) {
    return false;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!SkipDigits(text, &i)) return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (!SkipDigits(text, &i)) return false;
  }
  return i == text.size();
}

std::optional<nlohmann::json> ParseJsonNumber(std::string_view text) {
  if (!IsJsonNumberText(text)) return std::nullopt;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (text.find_first_of(".eE") == std::string_view::npos) {
    int64_t integer = 0;
    auto [ptr, ec] = std::from_chars(begin, end, integer);
    if (ec == std::errc() && ptr == end) return nlohmann::json(integer);
  }
  double d = 0;
  auto [ptr, ec] = std::from_chars(begin, end, d);
  if (ec != std::errc() || ptr != end || !std::isfinite(d)) return std::nullopt;
  return nlohmann::json(d);
}

std::optional<bool> ParseBoolText(std::string_view text) {
  if (EqualsIgnoreCase(text, "true")) return true;
  if (EqualsIgnoreCase(text, "false")) return false;
  return std::nullopt;
}

}  // namespace nokv::records
