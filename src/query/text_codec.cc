// Base64, UTF-8, time and hash helpers for verb results.
#include "query/text_codec.h"

#include <algorithm>
#include <array>
#include <ctime>

namespace nokv::query {
namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Encode(std::string_view bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(alphabet[(v >> shift) & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (rest == 2) v |= uint8_t(bytes[i + 1]) << 8;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) { return Encode(bytes, kStd, true); }
std::string Base64UrlEncode(std::string_view bytes) { return Encode(bytes, kUrl, false); }

namespace {

std::optional<std::string> Decode(std::string_view text, const char* alphabet) {
  std::array<int, 256> rank;
  rank.fill(-1);
  for (int i = 0; i < 64; ++i) rank[uint8_t(alphabet[i])] = i;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int r = rank[uint8_t(c)];
    if (r < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(r);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xFF));
    }
  }
  if (bits >= 6) return std::nullopt;  // a dangling sextet is not canonical
  return out;
}

}  // namespace

std::optional<std::string> Base64UrlDecode(std::string_view text) { return Decode(text, kUrl); }

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  for (int pad = 0; pad < 2 && text.ends_with('='); ++pad) text.remove_suffix(1);
  return Decode(text, kStd);
}

namespace {

// Appends the UTF-8 form of U+F700+byte (three bytes: EF 9E|9F 80..BF).
void AppendByteEscape(uint8_t byte, std::string* out) {
  uint32_t cp = 0xF700 + byte;
  out->push_back(char(0xE0 | (cp >> 12)));
  out->push_back(char(0x80 | ((cp >> 6) & 0x3F)));
  out->push_back(char(0x80 | (cp & 0x3F)));
}

// The escaped byte when text[0, n) is the UTF-8 form of U+F780..U+F7FF.
std::optional<uint8_t> EscapedByteAt(std::string_view text, size_t n) {
  if (n != 3 || uint8_t(text[0]) != 0xEF) return std::nullopt;
  uint8_t second = uint8_t(text[1]);
  if (second != 0x9E && second != 0x9F) return std::nullopt;
  return uint8_t(((second & 0x01) << 6) | (uint8_t(text[2]) & 0x3F) | 0x80);
}

}  // namespace

bool IsEscapeFree(std::string_view bytes) {
  while (!bytes.empty()) {
    size_t n = Utf8SequenceLength(bytes);
    if (n == 0 || EscapedByteAt(bytes, n)) return false;
    bytes.remove_prefix(n);
  }
  return true;
}

std::string EscapeBytes(std::string_view bytes) {
  if (IsEscapeFree(bytes)) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + 16);
  while (!bytes.empty()) {
    size_t n = Utf8SequenceLength(bytes);
    if (n == 0) {
      AppendByteEscape(uint8_t(bytes[0]), &out);
      n = 1;
    } else if (EscapedByteAt(bytes, n)) {
      for (size_t i = 0; i < n; ++i) AppendByteEscape(uint8_t(bytes[i]), &out);
    } else {
      out.append(bytes.substr(0, n));
    }
    bytes.remove_prefix(n);
  }
  return out;
}

std::string UnescapeBytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    size_t n = std::max<size_t>(Utf8SequenceLength(text), 1);
    if (auto byte = EscapedByteAt(text, n)) {
      out.push_back(char(*byte));
    } else {
      out.append(text.substr(0, n));
    }
    text.remove_prefix(n);
  }
  return out;
}

void EscapeJsonStrings(nlohmann::json* j) {
  if (j->is_string()) {
    auto& s = j->get_ref<std::string&>();
    if (!IsEscapeFree(s)) s = EscapeBytes(s);
  } else if (j->is_array()) {
    for (auto& item : *j) EscapeJsonStrings(&item);
  } else if (j->is_object()) {
    bool escape_keys = false;
    for (auto it = j->begin(); it != j->end(); ++it) {
      escape_keys = escape_keys || !IsEscapeFree(it.key());
      EscapeJsonStrings(&it.value());
    }
    if (escape_keys) {
      nlohmann::json fixed = nlohmann::json::object();
      for (auto it = j->begin(); it != j->end(); ++it) {
        fixed[EscapeBytes(it.key())] = std::move(it.value());
      }
      *j = std::move(fixed);
    }
  }
}

namespace {

bool AllEscapeFree(const nlohmann::json& j) {
  if (j.is_string()) return IsEscapeFree(j.get_ref<const std::string&>());
  if (j.is_array()) {
    return std::all_of(j.begin(), j.end(), [](const auto& item) { return AllEscapeFree(item); });
  }
  if (!j.is_object()) return true;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!IsEscapeFree(it.key()) || !AllEscapeFree(it.value())) return false;
  }
  return true;
}

}  // namespace

std::string DumpEscaped(const nlohmann::json& value) {
  constexpr auto kStrict = nlohmann::json::error_handler_t::strict;
  if (AllEscapeFree(value)) return value.dump(-1, ' ', false, kStrict);  // no copy needed
  nlohmann::json copy = value;
  EscapeJsonStrings(&copy);
  return copy.dump(-1, ' ', false, kStrict);
}

size_t Utf8Floor(std::string_view text, size_t limit) {
  if (limit >= text.size()) return text.size();
  size_t n = limit;
  // Step back over continuation bytes (at most 3) to a sequence start.
  for (int i = 0; i < 3 && n > 0 && (uint8_t(text[n]) & 0xC0) == 0x80; ++i) --n;
  return n;
}

std::string FormatTime(int64_t ns) {
  int64_t secs = ns / 1'000'000'000;
  int64_t rem = ns % 1'000'000'000;
  if (rem < 0) {
    rem += 1'000'000'000;
    --secs;
  }
  time_t t = static_cast<time_t>(secs);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           static_cast<int>(rem / 1'000'000));
  return buf;
}

uint64_t StableHash(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : bytes) {
    h ^= uint8_t(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace nokv::query
