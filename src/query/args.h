// Argument validation for the verbs: allowed keys (with "did you mean"),
// typed getters with bounds, and path normalization confined to the
// service's root. Every failure is an invalid_argument (or not_found for a
// path outside the root) whose hint names the fix.
//
// Pure functions over borrowed JSON; thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "query/verb_error.h"

namespace nokv::query {

// Levenshtein distance (byte-wise).
size_t EditDistance(std::string_view a, std::string_view b);
// The closest candidate within max(2, |word|/3) edits, or "" when none is.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

// invalid_argument naming the first key of `args` not in `allowed`.
VerbError CheckKeys(const nlohmann::json& args, std::string_view verb,
                    const std::vector<std::string>& allowed);

// The longest path and grep pattern an argument may be (the schemas' maxLength).
inline constexpr size_t kMaxPathChars = 4096;
inline constexpr size_t kMaxPatternChars = 4096;

// Characters as JSON Schema's minLength/maxLength count them: UTF-8 code points,
// each byte of an invalid sequence counting as one.
size_t CharCount(std::string_view s);

// Getters: an absent key leaves *out unchanged (required: invalid_argument).
// A present string must have min_chars..max_chars characters (CharCount).
VerbError GetString(const nlohmann::json& args, const char* key, bool required, std::string* out,
                    size_t min_chars = 0, size_t max_chars = SIZE_MAX);
VerbError GetBool(const nlohmann::json& args, const char* key, bool* out);
VerbError GetInt(const nlohmann::json& args, const char* key, int64_t min, int64_t max,
                 int64_t* out);
// An array of non-empty strings, at most `max_items`.
VerbError GetStringList(const nlohmann::json& args, const char* key, size_t max_items,
                        std::vector<std::string>* out);

// Normalizes an absolute path ('.' and empty parts dropped) and confines it
// to `root`: relative paths, '..', NUL and long names are invalid_argument;
// paths outside `root` are not_found with a hint naming the root.
VerbError NormalizeScopedPath(std::string_view raw, std::string_view root, std::string* out);

// True when `path` is `root` or below it (both normalized).
bool PathUnder(std::string_view path, std::string_view root);
// The last component ("" for "/").
std::string_view BaseName(std::string_view path);
// "/a" + "b" -> "/a/b"; "/" + "b" -> "/b".
std::string JoinChild(std::string_view dir, std::string_view name);

}  // namespace nokv::query
