// The namespace verbs: mkdir, move, remove and snapshot. Each is one
// metadata commit through the Filesystem (a recursive remove of a large
// tree: one per batch of entries), confined to the served root.
#include <chrono>

#include "fs/write_verbs.h"
#include "query/args.h"
#include "query/evidence.h"
#include "query/text_codec.h"

namespace nokv::fs::write_verbs {
namespace {

using nlohmann::json;
using query::VerbError;

constexpr int64_t kMaxSnapshotTtlSeconds = 365ll * 24 * 3600;

const char* KindName(meta::FileType type) {
  switch (type) {
    case meta::FileType::kFile:
      return "file";
    case meta::FileType::kDirectory:
      return "directory";
    case meta::FileType::kSymlink:
      return "symlink";
  }
  return "file";
}

VerbError StatArg(Filesystem* fs, const std::string& path, meta::Attr* out) {
  auto attr = fs->Stat(path);
  if (!attr.ok()) {
    return query::FromStatus(attr.status(), attr.status().code() == Code::kNotFound
                                                ? "check the parent directory with ls"
                                                : "");
  }
  *out = std::move(attr).value();
  return VerbError::Ok();
}

VerbError NotTheRoot(const Scope& scope, const std::string& path, const char* verb) {
  if (!scope.IsRoot(path)) return VerbError::Ok();
  return VerbError::PermissionDenied(
      std::string(verb) + " of the served root " + path + " is not allowed",
      "name a path below it");
}

json SnapshotJson(const meta::Snapshot& snapshot) {
  json out{{"name", snapshot.name},
           {"root", snapshot.root},
           {"as_of", snapshot.seq},
           {"created", query::FormatTime(snapshot.created_ns)}};
  if (snapshot.expires_ns != 0) out["expires"] = query::FormatTime(snapshot.expires_ns);
  return out;
}

}  // namespace

VerbError Mkdir(const Scope& scope, const json& args, json* result) {
  NOKV_VERB_TRY(query::CheckKeys(args, "mkdir", {"path", "parents"}));
  std::string path;
  NOKV_VERB_TRY(ScopedPathArg(scope, args, "path", LastLink::kFollow, &path));
  bool parents = true;
  NOKV_VERB_TRY(query::GetBool(args, "parents", &parents));
  // Mkdir with parents succeeds on an existing directory (mkdir -p); the
  // stat before it tells the agent whether this call made it.
  auto existing = scope.fs->Stat(path);
  const bool created = !existing.ok() && existing.status().code() == Code::kNotFound;
  if (existing.ok() && (!parents || existing->type != meta::FileType::kDirectory)) {
    return VerbError::AlreadyExists(path + " already exists",
                                    existing->type == meta::FileType::kDirectory
                                        ? "mkdir with parents: true succeeds on a directory"
                                        : "it is not a directory; pick another name");
  }
  auto made = created ? scope.fs->Mkdir(path, parents) : std::move(existing);
  if (!made.ok()) {
    return query::FromStatus(made.status(), made.status().code() == Code::kNotFound
                                                ? "pass parents: true to create missing parents"
                                                : "");
  }
  *result = json{{"path", path},
                 {"created", created},
                 {"generation", made->generation},
                 {"evidence", query::VersionUri(path, made->generation)}};
  return VerbError::Ok();
}

VerbError Move(const Scope& scope, const json& args, json* result) {
  NOKV_VERB_TRY(query::CheckKeys(args, "move", {"from", "to", "replace"}));
  // The entries themselves move: a link as last component is not followed.
  std::string from, to;
  NOKV_VERB_TRY(ScopedPathArg(scope, args, "from", LastLink::kKeep, &from));
  NOKV_VERB_TRY(ScopedPathArg(scope, args, "to", LastLink::kKeep, &to));
  bool replace = false;
  NOKV_VERB_TRY(query::GetBool(args, "replace", &replace));
  NOKV_VERB_TRY(NotTheRoot(scope, from, "move"));
  NOKV_VERB_TRY(NotTheRoot(scope, to, "move"));
  meta::Attr attr;
  NOKV_VERB_TRY(StatArg(scope.fs, from, &attr));
  Status moved = scope.fs->Rename(
      from, to, replace ? meta::RenameMode::kReplace : meta::RenameMode::kNoReplace);
  if (!moved.ok()) {
    return query::FromStatus(moved, moved.code() == Code::kAlreadyExists
                                        ? "pass replace: true to replace it, or pick another name"
                                        : "");
  }
  *result = json{{"from", from},
                 {"to", to},
                 {"kind", KindName(attr.type)},
                 {"generation", attr.generation},
                 {"evidence", query::VersionUri(to, attr.generation)}};
  return VerbError::Ok();
}

VerbError Remove(const Scope& scope, const json& args, json* result) {
  NOKV_VERB_TRY(query::CheckKeys(args, "remove", {"path", "recursive", "expected_generation"}));
  std::string path;
  NOKV_VERB_TRY(ScopedPathArg(scope, args, "path", LastLink::kKeep, &path));
  bool recursive = false;
  NOKV_VERB_TRY(query::GetBool(args, "recursive", &recursive));
  std::optional<uint64_t> expected;
  NOKV_VERB_TRY(GenerationArg(args, "expected_generation", 1, &expected));
  NOKV_VERB_TRY(NotTheRoot(scope, path, "remove"));
  meta::Attr attr;
  NOKV_VERB_TRY(StatArg(scope.fs, path, &attr));
  if (attr.type == meta::FileType::kDirectory && !recursive) {
    return VerbError::NotAFile(path + " is a directory",
                               "pass recursive: true to remove it and everything below it");
  }
  if (attr.type == meta::FileType::kDirectory && expected) {
    return VerbError::InvalidArgument(path + " is a directory",
                                      "expected_generation applies to files");
  }
  if (expected && attr.generation != *expected) return Stale(path, attr.generation);
  if (Status s = scope.fs->Remove(path, recursive, expected.value_or(0)); !s.ok()) {
    return CommitError(scope.fs, path, s);
  }
  *result = json{{"path", path},
                 {"kind", KindName(attr.type)},
                 {"generation", attr.generation},
                 {"evidence", query::VersionUri(path, attr.generation)}};
  return VerbError::Ok();
}

VerbError Snapshot(const Scope& scope, const json& args, json* result) {
  NOKV_VERB_TRY(query::CheckKeys(args, "snapshot", {"action", "name", "path", "ttl_seconds"}));
  std::string action;
  NOKV_VERB_TRY(query::GetString(args, "action", /*required=*/true, &action));
  if (action == "list") {
    auto snapshots = scope.fs->ListSnapshots();
    if (!snapshots.ok()) return query::FromStatus(snapshots.status());
    json list = json::array();
    for (const meta::Snapshot& snapshot : *snapshots) {
      // The ones that show part of the served tree.
      for (const std::string& root : scope.roots) {
        if (query::PathUnder(snapshot.root, root) || query::PathUnder(root, snapshot.root)) {
          list.push_back(SnapshotJson(snapshot));
          break;
        }
      }
    }
    *result = json{{"snapshots", std::move(list)}};
    return VerbError::Ok();
  }
  if (action != "create") {
    return VerbError::InvalidArgument("unknown action '" + action + "'",
                                      "action is 'create' or 'list'");
  }
  std::string name;
  NOKV_VERB_TRY(query::GetString(args, "name", /*required=*/true, &name, 1, 255));
  std::string root = scope.roots.front();
  if (scope.roots.size() > 1 && !args.contains("path")) {
    return VerbError::InvalidArgument("several roots are served (" + scope.RootList() + ")",
                                      "name the subtree to pin with path");
  }
  if (args.contains("path")) {
    NOKV_VERB_TRY(ScopedPathArg(scope, args, "path", LastLink::kFollow, &root));
  }
  int64_t ttl_seconds = 0;
  NOKV_VERB_TRY(query::GetInt(args, "ttl_seconds", 1, kMaxSnapshotTtlSeconds, &ttl_seconds));
  int64_t expires_ns = 0;
  if (ttl_seconds > 0) {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    expires_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count() +
                 ttl_seconds * 1'000'000'000;
  }
  auto made = scope.fs->CreateSnapshot(name, root, expires_ns);
  if (!made.ok()) {
    return query::FromStatus(made.status(), made.status().code() == Code::kAlreadyExists
                                                ? "pick another name (snapshot list shows them)"
                                                : "");
  }
  *result = json{{"snapshot", SnapshotJson(*made)}};
  return VerbError::Ok();
}

}  // namespace nokv::fs::write_verbs
