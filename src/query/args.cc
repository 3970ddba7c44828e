// Argument validation helpers shared by every verb.
#include "query/args.h"

#include <algorithm>

#include "meta/path.h"
#include "query/text_codec.h"

namespace nokv::query {
namespace {

const nlohmann::json* Find(const nlohmann::json& args, const char* key) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return nullptr;
  return &*it;
}

VerbError WrongType(const char* key, const char* want) {
  return VerbError::InvalidArgument(std::string("'") + key + "' must be " + want,
                                    "see the tool's input schema");
}

}  // namespace

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  size_t best = std::max<size_t>(2, word.size() / 3) + 1;
  std::string found;
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best) best = d, found = c;
  }
  return found;
}

VerbError CheckKeys(const nlohmann::json& args, std::string_view verb,
                    const std::vector<std::string>& allowed) {
  for (const auto& [key, value] : args.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string hint;
    std::string near = ClosestMatch(key, allowed);
    if (!near.empty()) {
      hint = "did you mean '" + near + "'?";
    } else {
      hint = "allowed:";
      for (const auto& a : allowed) hint += " " + a;
    }
    return VerbError::InvalidArgument("unknown argument '" + key + "' for " + std::string(verb),
                                      hint);
  }
  return VerbError::Ok();
}

size_t CharCount(std::string_view s) {
  size_t count = 0;
  for (size_t i = 0; i < s.size(); ++count) {
    auto lead = static_cast<uint8_t>(s[i]);
    size_t len = lead < 0x80           ? 1
                 : (lead >> 5) == 0x6  ? 2
                 : (lead >> 4) == 0xE  ? 3
                 : (lead >> 3) == 0x1E ? 4
                                       : 1;
    size_t j = 1;
    while (j < len && i + j < s.size() && (static_cast<uint8_t>(s[i + j]) & 0xC0) == 0x80) ++j;
    i += j == len ? len : 1;  // an invalid sequence counts byte by byte
  }
  return count;
}

VerbError GetString(const nlohmann::json& args, const char* key, bool required, std::string* out,
                    size_t min_chars, size_t max_chars) {
  const nlohmann::json* v = Find(args, key);
  if (v == nullptr) {
    if (!required) return VerbError::Ok();
    return VerbError::InvalidArgument(std::string("missing required argument '") + key + "'");
  }
  if (!v->is_string()) return WrongType(key, "a string");
  const auto& text = v->get_ref<const std::string&>();
  if (min_chars > 0 || max_chars != SIZE_MAX) {
    size_t chars = CharCount(text);
    if (chars < min_chars || chars > max_chars) {
      std::string range = max_chars == SIZE_MAX
                              ? "at least " + std::to_string(min_chars)
                              : std::to_string(min_chars) + " to " + std::to_string(max_chars);
      return VerbError::InvalidArgument(
          std::string("'") + key + "' must be " + range + " characters long",
          "got " + std::to_string(chars));
    }
  }
  *out = text;
  return VerbError::Ok();
}

VerbError GetBool(const nlohmann::json& args, const char* key, bool* out) {
  const nlohmann::json* v = Find(args, key);
  if (v == nullptr) return VerbError::Ok();
  if (!v->is_boolean()) return WrongType(key, "true or false");
  *out = v->get<bool>();
  return VerbError::Ok();
}

VerbError GetInt(const nlohmann::json& args, const char* key, int64_t min, int64_t max,
                 int64_t* out) {
  const nlohmann::json* v = Find(args, key);
  if (v == nullptr) return VerbError::Ok();
  // A float is integral only inside int64's range (casting one outside is undefined).
  constexpr double kTwo63 = 9223372036854775808.0;
  bool integral =
      v->is_number_integer() ||
      (v->is_number_float() && v->get<double>() >= -kTwo63 && v->get<double>() < kTwo63 &&
       v->get<double>() == static_cast<double>(static_cast<int64_t>(v->get<double>())));
  if (!integral) return WrongType(key, "an integer");
  int64_t n =
      v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX)
          ? INT64_MAX
          : (v->is_number_float() ? static_cast<int64_t>(v->get<double>()) : v->get<int64_t>());
  if (n < min || n > max) {
    return VerbError::InvalidArgument(std::string("'") + key + "' must be between " +
                                          std::to_string(min) + " and " + std::to_string(max),
                                      "got " + std::to_string(n));
  }
  *out = n;
  return VerbError::Ok();
}

VerbError GetStringList(const nlohmann::json& args, const char* key, size_t max_items,
                        std::vector<std::string>* out) {
  const nlohmann::json* v = Find(args, key);
  if (v == nullptr) return VerbError::Ok();
  if (!v->is_array() || v->size() > max_items) {
    return WrongType(key,
                     ("an array of at most " + std::to_string(max_items) + " strings").c_str());
  }
  out->clear();
  for (const auto& item : *v) {
    if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
      return WrongType(key, "an array of non-empty strings");
    }
    out->push_back(item.get<std::string>());
  }
  return VerbError::Ok();
}

VerbError NormalizeScopedPath(std::string_view raw, std::string_view root, std::string* out) {
  std::string example = root == "/" ? "/runs" : std::string(root);
  if (size_t chars = CharCount(raw); chars > kMaxPathChars) {
    return VerbError::InvalidArgument("path is " + std::to_string(chars) +
                                          " characters long; at most " +
                                          std::to_string(kMaxPathChars),
                                      "name a shorter path");
  }
  if (raw.empty() || raw[0] != '/') {
    return VerbError::InvalidArgument(
        "path '" + std::string(raw.substr(0, 256)) + "' is not absolute",
        "paths start with '/', e.g. '" + example + "'");
  }
  // Results print names with the byte escape; a path argument takes it back.
  auto normalized = meta::NormalizePath(UnescapeBytes(raw));
  if (!normalized.ok()) {
    return VerbError::InvalidArgument(std::string(normalized.status().message()),
                                      "'..', NUL bytes and names over 255 bytes are not allowed");
  }
  if (!PathUnder(*normalized, root)) {
    return VerbError::NotFound(*normalized + " is outside the served root " + std::string(root),
                               "use a path under " + std::string(root));
  }
  *out = std::move(normalized).value();
  return VerbError::Ok();
}

bool PathUnder(std::string_view path, std::string_view root) {
  return meta::PathIsUnder(path, root);
}

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string JoinChild(std::string_view dir, std::string_view name) {
  return meta::ChildPath(dir, name);
}

}  // namespace nokv::query
