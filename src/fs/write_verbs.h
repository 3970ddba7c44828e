// Internal to the write verbs (fs/agent_writes.h): the confinement of paths
// to the served root through symbolic links, and one function per verb.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fs/filesystem.h"
#include "query/verb_error.h"

namespace nokv::fs::write_verbs {

// One call's view of the filesystem: the served roots (--root, or its
// intersection with the client's roots) with their own links resolved, so
// a root reached through a link still contains its paths.
struct Scope {
  Filesystem* fs;
  std::vector<std::string> roots;  // resolved; never empty

  bool Contains(std::string_view path) const;
  bool IsRoot(std::string_view path) const;
  std::string RootList() const;  // "/a, /b"
};

// How the last component of a path is treated when it is a symlink.
enum class LastLink { kFollow, kKeep };

// Resolves `raw` (absolute, normalized lexically first) component by
// component, following every symlink before the last one (and the last one
// with kFollow), the way the metadata does when it walks a path. Components
// that do not exist yet are kept as given. The result must lie under
// one of scope.roots: a path that leaves them, through a link included, is
// permission_denied naming where it leads.
query::VerbError ResolveInScope(const Scope& scope, std::string_view raw, LastLink last,
                                std::string* out);
// Resolves the served root itself (links included); `root` must exist.
query::VerbError ResolveRoot(Filesystem* fs, std::string_view root, std::string* out);

// The path argument `key` of `args`, resolved (ResolveInScope).
query::VerbError ScopedPathArg(const Scope& scope, const nlohmann::json& args, const char* key,
                               LastLink last, std::string* out);

// The optional generation argument `key` (at least `min`; absent or null
// leaves *out empty).
query::VerbError GenerationArg(const nlohmann::json& args, const char* key, int64_t min,
                               std::optional<uint64_t>* out);

// The conflict of a call that expected another generation of `path` than
// `current` (0: the file does not exist).
query::VerbError Stale(const std::string& path, uint64_t current);
// A failed body commit: FailedPrecondition (the generation check of the
// commit) becomes Stale with the generation `path` is at now.
query::VerbError CommitError(Filesystem* fs, const std::string& path, const Status& status);

// The verbs: each fills `result` or returns the error.
using Verb = query::VerbError (*)(const Scope& scope, const nlohmann::json& args,
                                  nlohmann::json* result);
query::VerbError Write(const Scope& scope, const nlohmann::json& args, nlohmann::json* result);
query::VerbError Append(const Scope& scope, const nlohmann::json& args, nlohmann::json* result);
query::VerbError Edit(const Scope& scope, const nlohmann::json& args, nlohmann::json* result);
query::VerbError Mkdir(const Scope& scope, const nlohmann::json& args, nlohmann::json* result);
query::VerbError Move(const Scope& scope, const nlohmann::json& args, nlohmann::json* result);
query::VerbError Remove(const Scope& scope, const nlohmann::json& args, nlohmann::json* result);
query::VerbError Snapshot(const Scope& scope, const nlohmann::json& args, nlohmann::json* result);

}  // namespace nokv::fs::write_verbs
