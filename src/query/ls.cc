// ls: the direct children of a directory, one page at a time, in name order.
#include "query/args.h"
#include "query/evidence.h"
#include "query/text_codec.h"
#include "query/verbs.h"

namespace nokv::query {
namespace {

constexpr int64_t kDefaultLimit = 100;
constexpr int64_t kMaxLimit = 1000;

VerbError ParseKind(const nlohmann::json& args, std::string* kind) {
  NOKV_VERB_TRY(GetString(args, "kind", false, kind));
  static const std::vector<std::string> kKinds = {"file", "directory", "symlink"};
  if (kind->empty() || std::find(kKinds.begin(), kKinds.end(), *kind) != kKinds.end()) {
    return VerbError::Ok();
  }
  std::string near = ClosestMatch(*kind, kKinds);
  return VerbError::InvalidArgument(
      "unknown kind '" + SanitizeUtf8(*kind) + "'",
      near.empty() ? "kinds: file, directory, symlink" : "did you mean '" + near + "'?");
}

}  // namespace

nlohmann::json EntryJson(std::string_view name, const meta::Attr& attr) {
  nlohmann::json e = {{"name", name},
                      {"kind", meta::FileTypeName(attr.type)},
                      {"mtime", FormatTime(attr.mtime_ns)}};
  switch (attr.type) {
    case meta::FileType::kFile:
      e["size_bytes"] = attr.size;
      e["generation"] = attr.generation;
      break;
    case meta::FileType::kDirectory:
      e["entry_count"] = attr.child_count;
      break;
    case meta::FileType::kSymlink:
      e["target"] = attr.symlink_target;
      break;
  }
  return e;
}

Result<meta::Attr> StatInRoot(const Invocation& inv, std::string_view path,
                              const meta::ReadContext* at) {
  std::string resolved;
  auto attr = inv.meta->Stat(path, at, &resolved);
  if (!attr.ok() && attr.status().Is(Reason::kSymlinkLoop)) {
    // The caller's argument, not the service's failure.
    return Status::InvalidArgument(attr.status().message());
  }
  if (!attr.ok()) return attr.status();
  if (!PathUnder(resolved, inv.root)) {
    return Status::PermissionDenied(std::string(path) + " leads to " + resolved +
                                    ", outside the served root " + inv.root);
  }
  return attr;
}

VerbError ResolvePathArg(const Invocation& inv, const nlohmann::json& args, std::string* path,
                         meta::Attr* attr) {
  std::string raw;
  NOKV_VERB_TRY(GetString(args, "path", true, &raw));
  NOKV_VERB_TRY(NormalizeScopedPath(raw, inv.root, path));
  auto got = StatInRoot(inv, *path, inv.at());
  if (!got.ok()) {
    return FromStatus(got.status(), got.status().code() == Code::kNotFound
                                        ? "check the parent directory with ls"
                                        : "");
  }
  *attr = std::move(got).value();
  return VerbError::Ok();
}

nlohmann::json ValuesJson(const std::vector<records::TypedValue>& values) {
  if (values.size() == 1) return records::ToJson(values[0]);
  nlohmann::json array = nlohmann::json::array();
  for (const auto& v : values) array.push_back(records::ToJson(v));
  return array;
}

VerbError PageLimit(const nlohmann::json& args, const char* key, int64_t def, int64_t max,
                    size_t* out) {
  int64_t n = def;
  NOKV_VERB_TRY(GetInt(args, key, 1, max, &n));
  *out = static_cast<size_t>(n);
  return VerbError::Ok();
}

VerbError RunLs(Invocation& inv, const nlohmann::json& args, nlohmann::json* out) {
  std::string path, kind;
  meta::Attr dir;
  NOKV_VERB_TRY(ResolvePathArg(inv, args, &path, &dir));
  if (dir.type != meta::FileType::kDirectory) {
    return VerbError::NotADirectory(path + " is a " + meta::FileTypeName(dir.type),
                                    "use stat or read for a file");
  }
  size_t limit = 0;
  NOKV_VERB_TRY(PageLimit(args, "limit", kDefaultLimit, kMaxLimit, &limit));
  NOKV_VERB_TRY(ParseKind(args, &kind));
  std::string after;
  if (inv.position != nullptr) after = inv.position->value("a", "");

  ResultBudget budget(inv.max_result_bytes);
  nlohmann::json entries = nlohmann::json::array();
  bool more = true, truncated = false;
  while (more && entries.size() < limit && !truncated) {
    auto page = inv.meta->ReadDir(dir.inode, after, limit, true, inv.at());
    if (!page.ok()) return FromStatus(page.status());
    more = page->more;
    for (size_t i = 0; i < page->entries.size(); ++i) {
      if (entries.size() == limit) {
        more = true;
        break;
      }
      const auto& attr = page->attrs[i];
      if (kind.empty() || kind == meta::FileTypeName(attr.type)) {
        nlohmann::json e = EntryJson(page->entries[i].name, attr);
        if (!budget.TryAdd(e)) {
          truncated = more = true;
          break;
        }
        entries.push_back(std::move(e));
      }
      after = page->entries[i].name;
    }
  }
  *out = {{"path", path}, {"entry_count", dir.child_count}, {"entries", std::move(entries)}};
  if (truncated) (*out)["truncated"] = true;
  if (more) inv.next_position = nlohmann::json{{"a", after}};
  return VerbError::Ok();
}

}  // namespace nokv::query
