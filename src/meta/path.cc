// Path validation and normalization.
#include "meta/path.h"

#include <algorithm>

#include "meta/types.h"

namespace nokv::meta {

Status ValidateName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("empty name");
  if (name == "." || name == "..") {
    return Status::InvalidArgument("'" + std::string(name) + "' is not allowed as a name");
  }
  if (name.size() > kMaxNameBytes) {
    return Status::InvalidArgument(
        "name longer than 255 bytes: " + std::string(name.substr(0, 32)) + "...");
  }
  if (name.find('/') != std::string_view::npos) {
    return Status::InvalidArgument("name contains '/': " + std::string(name));
  }
  if (name.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("name contains a NUL byte");
  }
  return Status::Ok();
}

Result<std::vector<std::string>> SplitPath(std::string_view path) {
  if (path.empty() || path[0] != '/') {
    return Status::InvalidArgument("path must be absolute: '" + std::string(path) + "'");
  }
  if (path.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("path contains a NUL byte");
  }
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    if (!part.empty() && part != ".") {
      if (part == "..")
        return Status::InvalidArgument("'..' is not allowed in paths: " + std::string(path));
      NOKV_RETURN_IF_ERROR(ValidateName(part));
      parts.emplace_back(part);
    }
    start = slash + 1;
  }
  return parts;
}

std::string LexicalPath(std::string_view text) {
  std::vector<std::string_view> parts;
  for (size_t start = 0; start <= text.size();) {
    size_t end = std::min(text.find('/', start), text.size());
    std::string_view part = text.substr(start, end - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out;
  for (auto part : parts) out += "/" + std::string(part);
  return out.empty() ? "/" : out;
}

std::string JoinPath(const std::vector<std::string>& components, size_t count) {
  if (count == 0) return "/";
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    out.push_back('/');
    out += components[i];
  }
  return out;
}

Result<std::string> NormalizePath(std::string_view path) {
  NOKV_ASSIGN_OR_RETURN(auto parts, SplitPath(path));
  return JoinPath(parts, parts.size());
}

std::string ChildPath(std::string_view parent, std::string_view name) {
  std::string out(parent);
  if (out.empty() || out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

bool PathIsUnder(std::string_view path, std::string_view root) {
  if (root == "/") return true;
  return path == root ||
         (path.starts_with(root) && path.size() > root.size() && path[root.size()] == '/');
}

size_t PathDepth(std::string_view normalized) {
  size_t depth = 0;
  for (char c : normalized) depth += c == '/';
  return normalized == "/" ? 0 : depth;
}

std::string Abbreviate(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  return std::string(text.substr(0, max_bytes)) + "...";
}

Status CheckDepth(size_t depth, std::string_view path) {
  if (depth <= kMaxDepth) return Status::Ok();
  return Status::InvalidArgument("path " + Abbreviate(path) + " would be " + std::to_string(depth) +
                                 " levels deep; the limit is " + std::to_string(kMaxDepth) +
                                 " (kMaxDepth)");
}

}  // namespace nokv::meta
