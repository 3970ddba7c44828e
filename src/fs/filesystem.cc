// Filesystem: the facade over the metadata seam: namespace operations
// (recursive remove, truncate-by-rewrite) and pass-through of snapshots,
// watch, index rules, maintenance and the agent verbs. The byte paths are in
// filesystem_io.cc.
#include "fs/filesystem.h"

#include "meta/path.h"
#include "object/block.h"

namespace nokv::fs {

std::string BodyDigest(const OpenedFile& file) {
  // An empty body's digest may have been left zero by its writer.
  if (file.manifest && file.manifest->layout.size > 0) {
    return object::BodyDigestString(file.manifest->layout);
  }
  object::BodyLayout empty;
  empty.digest = Sha256::Of("");
  return object::BodyDigestString(empty);
}

Filesystem::Filesystem(FilesystemParts parts)
    : io_(std::max<size_t>(1, parts.io_threads)), parts_(std::move(parts)) {}

Filesystem::~Filesystem() {
  // The metadata (its pins, leases and collector) goes before the stores.
  parts_.metadata.reset();
}

Result<meta::Attr> Filesystem::Stat(std::string_view path, const ReadAt& at) {
  return parts_.metadata->Stat(path, at);
}

Result<meta::DirPage> Filesystem::List(std::string_view path, std::string_view start_after,
                                       size_t limit, const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(std::string followed, FollowLinks(path, at));
  return parts_.metadata->List(followed, start_after, limit, at);
}

Result<std::string> Filesystem::FollowLinks(std::string_view path, const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(std::string current, meta::NormalizePath(path));
  for (int hops = 0;; ++hops) {
    NOKV_ASSIGN_OR_RETURN(meta::Attr attr, parts_.metadata->Stat(current, at));
    if (attr.type != meta::FileType::kSymlink) return current;
    if (hops == meta::kMaxSymlinkHops) {
      return Status(Code::kFailedPrecondition,
                    std::string(path) + ": too many levels of symbolic links",
                    Reason::kSymlinkLoop);
    }
    // A relative target is taken from the link's directory, lexically.
    std::string next = attr.symlink_target.starts_with('/')
                           ? attr.symlink_target
                           : current.substr(0, current.rfind('/')) + "/" + attr.symlink_target;
    NOKV_ASSIGN_OR_RETURN(current, meta::NormalizePath(meta::LexicalPath(next)));
  }
}

Result<meta::Attr> Filesystem::Mkdir(std::string_view path, bool parents) {
  meta::NodeOptions options;
  options.parents = parents;
  return parts_.metadata->Mkdir(path, options);
}

Status Filesystem::Remove(std::string_view path, bool recursive, uint64_t expected_generation) {
  NOKV_ASSIGN_OR_RETURN(std::string normalized, meta::NormalizePath(path));
  if (normalized == "/") {
    // Like rm --preserve-root: checked before anything is removed.
    return Status::PermissionDenied("refusing to remove / (remove the entries under it instead)");
  }
  NOKV_ASSIGN_OR_RETURN(meta::Attr attr, parts_.metadata->Stat(path, {}));
  if (attr.type != meta::FileType::kDirectory) {
    return parts_.metadata->Unlink(path, expected_generation);
  }
  if (expected_generation != 0) {
    return Status::InvalidArgument(std::string(path) +
                                   " is a directory: expected_generation applies to files");
  }
  if (!recursive || attr.child_count == 0) return parts_.metadata->Rmdir(path);
  // Children before their directory, a batch of entries per commit, one event per
  // batch's topmost entries (docs/metadata.md, Operations).
  return parts_.metadata->RemoveTree(normalized).status();
}

Status Filesystem::Rename(std::string_view from, std::string_view to, meta::RenameMode mode) {
  return parts_.metadata->Rename(from, to, mode);
}

Result<meta::Attr> Filesystem::Link(std::string_view existing, std::string_view new_path) {
  return parts_.metadata->Link(existing, new_path);
}

Result<meta::Attr> Filesystem::Symlink(std::string_view path, std::string_view target) {
  return parts_.metadata->Symlink(path, target, {});
}

Result<meta::Attr> Filesystem::SetAttr(std::string_view path, const meta::SetAttrRequest& req) {
  // Truncation to 0 is a metadata change; to any other size it needs new
  // bytes: the file is rewritten (kept prefix, zero fill) as a new generation.
  if (!req.size || *req.size == 0) return parts_.metadata->SetAttr(path, req);
  NOKV_ASSIGN_OR_RETURN(meta::Attr attr, parts_.metadata->Stat(path, {}));
  if (attr.type != meta::FileType::kFile) {
    return Status::IsADirectory(std::string(path) + " is not a regular file");
  }
  if (*req.size != attr.size) NOKV_RETURN_IF_ERROR(Resize(path, attr, *req.size));
  meta::SetAttrRequest rest = req;
  rest.size.reset();
  return parts_.metadata->SetAttr(path, rest);
}

Result<meta::Attr> Filesystem::SetAttrAt(meta::InodeId inode, const meta::SetAttrRequest& req) {
  if (!req.size || *req.size == 0) return parts_.metadata->SetAttrAt(inode, req);
  NOKV_ASSIGN_OR_RETURN(meta::Attr attr, parts_.metadata->GetAttr(inode, {}));
  if (attr.type != meta::FileType::kFile) {
    return Status::IsADirectory("inode " + std::to_string(inode) + " is not a regular file");
  }
  if (*req.size != attr.size) NOKV_RETURN_IF_ERROR(Resize({}, attr, *req.size));
  meta::SetAttrRequest rest = req;
  rest.size.reset();
  return parts_.metadata->SetAttrAt(inode, rest);
}

Status Filesystem::Resize(std::string_view path, const meta::Attr& attr, uint64_t size) {
  std::string label = path.empty() ? "inode " + std::to_string(attr.inode) : std::string(path);
  NOKV_ASSIGN_OR_RETURN(auto reader, path.empty() ? OpenReaderAt(attr.inode) : OpenReader(path));
  if (reader->attr().generation != attr.generation) {
    return Status::FailedPrecondition(label + " changed during truncate; retry");
  }
  WriteOptions options;
  options.mode = meta::PublishMode::kReplaceIfGeneration;
  options.expected_generation = attr.generation;
  NOKV_ASSIGN_OR_RETURN(
      auto writer, path.empty() ? OpenWriterAt(attr.inode, options) : OpenWriter(path, options));
  constexpr uint64_t kChunk = 4 << 20;
  std::string chunk;
  for (uint64_t pos = 0; pos < size; pos += chunk.size()) {
    uint64_t want = std::min(kChunk, size - pos);
    if (pos < attr.size) {
      NOKV_RETURN_IF_ERROR(reader->Read(pos, std::min(want, attr.size - pos), &chunk));
    } else {
      chunk.assign(want, '\0');  // zero blocks dedupe to one object
    }
    NOKV_RETURN_IF_ERROR(writer->Append(chunk));
  }
  return writer->Commit().status();
}

Result<meta::FsTotals> Filesystem::Totals() { return parts_.metadata->Totals(); }

Result<meta::Snapshot> Filesystem::CreateSnapshot(std::string_view name, std::string_view root,
                                                  int64_t expires_ns) {
  return parts_.metadata->CreateSnapshot(name, root, expires_ns);
}

Result<std::vector<meta::Snapshot>> Filesystem::ListSnapshots() {
  return parts_.metadata->ListSnapshots();
}

Status Filesystem::RetireSnapshot(std::string_view name) {
  return parts_.metadata->RetireSnapshot(name);
}

Result<meta::Snapshot> Filesystem::RenewSnapshot(std::string_view name, int64_t expires_ns) {
  return parts_.metadata->RenewSnapshot(name, expires_ns);
}

Result<meta::EventPage> Filesystem::Watch(std::string_view path, std::string_view cursor,
                                          size_t limit, std::chrono::milliseconds wait) {
  return parts_.metadata->Watch(path, cursor, limit, wait);
}

Status Filesystem::AddIndexRule(const records::IndexRule& rule) {
  return parts_.metadata->AddIndexRule(rule);
}

Status Filesystem::RemoveIndexRule(std::string_view id) {
  return parts_.metadata->RemoveIndexRule(id);
}

Result<std::vector<meta::RuleRecord>> Filesystem::IndexRules() {
  return parts_.metadata->IndexRuleRecords();
}

Status Filesystem::Reindex(std::string_view id) { return parts_.metadata->Reindex(id); }

Result<meta::GcReport> Filesystem::CollectGarbage() { return parts_.metadata->CollectGarbage(); }
Result<meta::GcPlan> Filesystem::PlanGarbage() { return parts_.metadata->PlanGarbage(); }
Result<meta::IndexProblems> Filesystem::IndexRuleProblems(std::string_view id, size_t examples) {
  return parts_.metadata->IndexRuleProblems(id, examples);
}

Result<meta::FsckReport> Filesystem::Fsck(const meta::FsckOptions& options) {
  return parts_.metadata->Fsck(options);
}

nlohmann::json Filesystem::CallVerb(std::string_view verb, const nlohmann::json& args,
                                    const query::ServiceOptions& scope,
                                    const query::CallControl& control) {
  return parts_.metadata->CallVerb(verb, args, scope, control);
}

Status Filesystem::CheckVerbScope(const query::ServiceOptions& scope) {
  return parts_.metadata->CheckVerbScope(scope);
}

}  // namespace nokv::fs
