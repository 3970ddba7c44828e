// Globs that select the files an index rule covers, and the row a covered file feeds.
//
// Syntax (matched against a '/'-separated path relative to the rule root):
//   *      any run of characters within one path segment (never '/')
//   **     as a whole segment: zero or more segments; inside a segment it acts as '*'
//   ?      one character other than '/'
//   [abc] [a-z] [!a-z] [^a-z]   one character of (not of) a class; ']' first is literal
//   \x     the character x literally
// Dot files get no special treatment. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "records/rule.h"

namespace nokv::records {

inline constexpr size_t kMaxGlobBytes = 4096;

// OK for a non-empty relative glob with no NUL, no empty segment, closed classes and a
// complete escape, at most kMaxGlobBytes; InvalidArgument otherwise.
Status ValidateGlob(std::string_view glob);

// True when `relative_path` (no leading '/') matches `glob`. Runs in
// O(segments(glob) * segments(path) * segment length^2) at worst, whatever the '**' count.
bool MatchGlob(std::string_view glob, std::string_view relative_path);

// True when `abs_path` lies strictly below rule.root and its path relative to the root
// matches rule.glob; then *relative (if not null) receives that relative path.
bool RuleCovers(const IndexRule& rule, std::string_view abs_path, std::string* relative);

// The row a covered file feeds: the file itself (Target::kFile) or its parent directory
// (Target::kParent; "/" for a file directly under "/"). `file_path` is absolute.
std::string RowPath(const IndexRule& rule, std::string_view file_path);

}  // namespace nokv::records
