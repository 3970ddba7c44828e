// Confinement of the write verbs: paths resolved through symbolic links
// before they are checked against the served root, and the mapping of a
// failed commit to a conflict that names the current generation.
#include <vector>

#include "fs/write_verbs.h"
#include "meta/path.h"
#include "query/args.h"

namespace nokv::fs::write_verbs {
namespace {

using query::VerbError;

constexpr int kMaxLinkHops = 40;  // as Filesystem::FollowLinks and the metadata

// "/a/b" -> "/a"; "/" stays "/".
std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Pushes the components of `text` onto `todo` so they come out in order.
void PushComponents(std::string_view text, std::vector<std::string>* todo) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t slash = text.find('/', start);
    if (slash == std::string_view::npos) slash = text.size();
    if (slash > start) parts.emplace_back(text.substr(start, slash - start));
    start = slash + 1;
  }
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo->push_back(std::move(*it));
}

// Resolves `normalized` from / with links followed (see ResolveInScope).
VerbError Resolve(Filesystem* fs, const std::string& normalized, LastLink last_link,
                  std::string* out) {
  std::vector<std::string> todo;  // a stack: next component at the back
  PushComponents(normalized, &todo);
  std::string resolved = "/";
  int hops = 0;
  while (!todo.empty()) {
    std::string name = std::move(todo.back());
    todo.pop_back();
    if (name == ".") continue;
    if (name == "..") {  // only link targets carry these; `resolved` has no links
      resolved = Parent(resolved);
      continue;
    }
    std::string candidate = query::JoinChild(resolved, name);
    auto attr = fs->Stat(candidate);
    if (!attr.ok() && attr.status().code() == Code::kNotFound) {
      // Not there yet (a write creates it): the rest is taken as given.
      resolved = std::move(candidate);
      while (!todo.empty()) {
        if (todo.back() == "..")
          return VerbError::InvalidArgument(
              normalized + ": a symlink target climbs out of a directory that does not exist");
        if (todo.back() != ".") resolved = query::JoinChild(resolved, todo.back());
        todo.pop_back();
      }
      break;
    }
    if (!attr.ok()) return query::FromStatus(attr.status());
    const bool is_last = todo.empty();
    if (attr->type == meta::FileType::kSymlink && (!is_last || last_link == LastLink::kFollow)) {
      if (++hops > kMaxLinkHops) {
        return VerbError::InvalidArgument(normalized + ": too many levels of symbolic links");
      }
      if (attr->symlink_target.starts_with('/')) resolved = "/";
      PushComponents(attr->symlink_target, &todo);
      continue;
    }
    resolved = std::move(candidate);
  }
  *out = std::move(resolved);
  return VerbError::Ok();
}

}  // namespace

bool Scope::Contains(std::string_view path) const {
  for (const std::string& root : roots) {
    if (query::PathUnder(path, root)) return true;
  }
  return false;
}

bool Scope::IsRoot(std::string_view path) const {
  for (const std::string& root : roots) {
    if (path == root) return true;
  }
  return false;
}

std::string Scope::RootList() const {
  std::string list;
  for (const std::string& root : roots) list += (list.empty() ? "" : ", ") + root;
  return list;
}

VerbError ResolveRoot(Filesystem* fs, std::string_view root, std::string* out) {
  auto normalized = meta::NormalizePath(root);
  if (!normalized.ok()) return query::FromStatus(normalized.status());
  return Resolve(fs, *normalized, LastLink::kFollow, out);
}

VerbError ResolveInScope(const Scope& scope, std::string_view raw, LastLink last,
                         std::string* out) {
  // Lexically first (relative paths, '..', NUL), against "/": a path under
  // a root that is itself reached through a link is judged once resolved.
  std::string normalized;
  NOKV_VERB_TRY(query::NormalizeScopedPath(raw, "/", &normalized));
  std::string resolved;
  NOKV_VERB_TRY(Resolve(scope.fs, normalized, last, &resolved));
  if (!scope.Contains(resolved)) {
    std::string where = resolved == normalized ? "" : " (it resolves to " + resolved + ")";
    std::string roots = scope.RootList();
    return VerbError::PermissionDenied(normalized + " is outside the served root " + roots + where,
                                       "write only under " + roots +
                                           "; symbolic links that lead out of it are not "
                                           "followed for writes");
  }
  *out = std::move(resolved);
  return VerbError::Ok();
}

VerbError ScopedPathArg(const Scope& scope, const nlohmann::json& args, const char* key,
                        LastLink last, std::string* out) {
  std::string raw;
  NOKV_VERB_TRY(query::GetString(args, key, /*required=*/true, &raw, 1, query::kMaxPathChars));
  return ResolveInScope(scope, raw, last, out);
}

VerbError Stale(const std::string& path, uint64_t current) {
  if (current == 0) {
    return VerbError::Conflict(path + " does not exist now (current generation 0)", 0,
                               "create it with expected_generation 0, or omit expected_generation");
  }
  std::string g = std::to_string(current);
  return VerbError::Conflict(
      path + " is at generation " + g + " now, not the one the call expected", current,
      "another writer changed it: read it again (generation " + g +
          ") and redo the change with expected_generation " + g);
}

VerbError GenerationArg(const nlohmann::json& args, const char* key, int64_t min,
                        std::optional<uint64_t>* out) {
  if (!args.contains(key) || args[key].is_null()) return VerbError::Ok();
  int64_t generation = 0;
  NOKV_VERB_TRY(query::GetInt(args, key, min, INT64_MAX, &generation));
  *out = static_cast<uint64_t>(generation);
  return VerbError::Ok();
}

VerbError CommitError(Filesystem* fs, const std::string& path, const Status& status) {
  if (status.code() != Code::kFailedPrecondition) return query::FromStatus(status);
  uint64_t current = 0;
  if (auto attr = fs->Stat(path); attr.ok()) current = attr->generation;
  return Stale(path, current);
}

}  // namespace nokv::fs::write_verbs
