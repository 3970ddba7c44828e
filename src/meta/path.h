// Path rules of the namespace: absolute, '/'-separated, '.' and empty parts
// dropped, '..', NUL and names over 255 bytes rejected.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace nokv::meta {

// InvalidArgument unless `name` is a valid entry name.
Status ValidateName(std::string_view name);
// The components of an absolute path ("/" gives none).
Result<std::vector<std::string>> SplitPath(std::string_view path);
// The canonical form of a path ("/a//./b/" -> "/a/b").
Result<std::string> NormalizePath(std::string_view path);
// Symbolic links followed while resolving one path before ELOOP (POSIX's
// SYMLOOP_MAX on Linux).
inline constexpr int kMaxSymlinkHops = 40;
// `text` ("/a/./b/../c" or "x/y") as a path from `/`, lexically: "." and
// empty parts dropped, ".." taking the part before it (at / it stays at /).
std::string LexicalPath(std::string_view text);
// "/" + components joined by '/'.
std::string JoinPath(const std::vector<std::string>& components, size_t count);
// "/a/b" + "c" -> "/a/b/c"; "/" + "c" -> "/c".
std::string ChildPath(std::string_view parent, std::string_view name);
// True when `path` is `root` or lies below it (both normalized).
bool PathIsUnder(std::string_view path, std::string_view root);
// The number of components of a normalized path ("/" has none).
size_t PathDepth(std::string_view normalized);
// InvalidArgument naming kMaxDepth when an entry at `path` would lie `depth`
// components deep and that is over the limit; `path` is abbreviated in the message.
Status CheckDepth(size_t depth, std::string_view path);
// `text` cut to at most `max_bytes` (then ending in "..."), for error messages.
std::string Abbreviate(std::string_view text, size_t max_bytes = 64);

}  // namespace nokv::meta
