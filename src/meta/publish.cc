// Publishing bodies: one command writes inode + dentry + manifest + block
// reference deltas + watch event + index rows. Blocks are uploaded by the
// caller before; readers see the old generation or the new one.
#include "meta/command.h"
#include "meta/path.h"
#include "meta/resolved.h"

namespace nokv::meta {

Status MetaService::BuildPublish(Command& cmd, const PublishRequest& req) {
  if (req.inode != 0) return BuildPublishToInode(cmd, req);
  NOKV_ASSIGN_OR_RETURN(auto parts, SplitPath(req.path));
  if (parts.empty()) return Status::IsADirectory("/ is a directory");
  std::string path = JoinPath(parts, parts.size());
  NOKV_ASSIGN_OR_RETURN(InodeId dir, WalkParents(cmd, parts, req.node));
  const std::string& name = parts.back();
  if (!cmd.published.emplace(std::make_pair(dir, name), 0).second) {
    return Status::InvalidArgument(path + " appears twice in one publish");
  }
  uint64_t dv = 0;
  auto existing = cmd.created_dirs.contains({dir, name})
                      ? Result<DirEntry>(DirEntry{name, 0, FileType::kDirectory})
                      : ReadDentry(dir, name, nullptr, &dv);
  if (existing.ok()) {
    if (req.mode == PublishMode::kCreate) {
      return Status::AlreadyExists(path + " already exists");
    }
    if (existing->type != FileType::kFile) {
      return Status::IsADirectory(path + " exists and is not a regular file");
    }
    cmd.Guard(DentryKey(dir, name), dv);
    return ReplaceBody(cmd, req, existing->inode, path);
  }
  if (req.mode == PublishMode::kReplaceIfGeneration && req.expected_generation != 0) {
    return Status::FailedPrecondition(path + " does not exist (expected generation " +
                                      std::to_string(req.expected_generation) + ")");
  }
  Attr attr;
  attr.inode = AllocateInode();
  cmd.NoteNewInode(attr.inode);
  attr.type = FileType::kFile;
  attr.mode = req.node.mode ? req.node.mode & 07777 : 0644;
  attr.uid = req.node.uid;
  attr.gid = req.node.gid;
  attr.parent = dir;
  attr.name = name;
  cmd.batch().RequireNotExists(DentryKey(dir, name));
  cmd.batch().Put(DentryKey(dir, name), EncodeDentry(attr.inode, FileType::kFile));
  cmd.TouchDir(dir, +1, 0);
  cmd.Totals(1, 0, 0, static_cast<int64_t>(req.manifest.layout.size));
  return WriteBody(cmd, req, std::move(attr), path);
}

Status MetaService::BuildPublishToInode(Command& cmd, const PublishRequest& req) {
  std::string label = "inode " + std::to_string(req.inode);
  if (req.mode == PublishMode::kCreate) {
    return Status::InvalidArgument("a publish to " + label + " replaces a body; it cannot create");
  }
  // Inode-addressed entries of cmd.published sit under directory 0, which
  // no entry has.
  if (!cmd.published.emplace(std::make_pair(InodeId{0}, std::to_string(req.inode)), 0).second) {
    return Status::InvalidArgument(label + " appears twice in one publish");
  }
  // The event and the index name the file by one of its paths; an inode no
  // longer linked anywhere has none, and nothing left to publish to.
  NOKV_ASSIGN_OR_RETURN(std::string path, PathOf(req.inode));
  return ReplaceBody(cmd, req, req.inode, path);
}

Status MetaService::ReplaceBody(Command& cmd, const PublishRequest& req, InodeId inode,
                                const std::string& path) {
  uint64_t av = 0;
  NOKV_ASSIGN_OR_RETURN(Attr attr, ReadAttr(inode, nullptr, &av));
  if (attr.type != FileType::kFile) {
    return Status::IsADirectory(path + " exists and is not a regular file");
  }
  if (req.mode == PublishMode::kReplaceIfGeneration && attr.generation != req.expected_generation) {
    return Status::FailedPrecondition(path + " is at generation " +
                                      std::to_string(attr.generation) + ", not " +
                                      std::to_string(req.expected_generation));
  }
  cmd.Guard(InodeKey(attr.inode), av);
  if (auto old = GetManifest(attr.inode, attr.generation); old.ok()) {
    cmd.batch().Delete(ManifestKey(attr.inode, attr.generation));
    cmd.BlockDeltas(attr.inode, *old, -1);
  }
  cmd.Totals(0, 0, 0,
             static_cast<int64_t>(req.manifest.layout.size) - static_cast<int64_t>(attr.size));
  return WriteBody(cmd, req, std::move(attr), path);
}

Status MetaService::WriteBody(Command& cmd, const PublishRequest& req, Attr attr,
                              const std::string& path) {
  const Manifest& manifest = req.manifest;
  attr.size = manifest.layout.size;
  attr.mtime_ns = attr.ctime_ns = cmd.now();
  cmd.PutAttr(attr, /*stamp_generation=*/true);
  // An empty body with no producer needs no manifest (readers treat a
  // missing manifest of a size-0 file as empty): ~80 bytes per empty file.
  bool empty =
      manifest.layout.size == 0 && manifest.layout.blocks.empty() && manifest.producer.empty();
  if (!empty) cmd.PutManifestStamped(attr.inode, manifest);
  cmd.BlockDeltas(attr.inode, manifest, +1);
  cmd.Event(EventType::kPublish, path, attr.inode, FileType::kFile);
  NOKV_RETURN_IF_ERROR(IndexOnPublish(cmd, path, &manifest, req.body));
  cmd.result_inode = attr.inode;
  return Status::Ok();
}

Result<Attr> MetaService::Publish(const PublishRequest& request) {
  NOKV_ASSIGN_OR_RETURN(auto attrs, PublishMany({request}));
  return std::move(attrs.front());
}

Result<std::vector<Attr>> MetaService::PublishMany(const std::vector<PublishRequest>& requests) {
  if (requests.empty()) return std::vector<Attr>{};
  for (const auto& request : requests) {
    Status valid = object::ValidateLayout(request.manifest.layout);
    if (!valid.ok()) {
      return valid.WithContext(request.inode != 0
                                   ? "publish to inode " + std::to_string(request.inode)
                                   : "publish " + request.path);
    }
  }
  uint64_t seq = 0;
  std::vector<InodeId> inodes;
  auto build = [&](Command& cmd) -> Status {
    inodes.clear();
    for (const auto& request : requests) {
      NOKV_RETURN_IF_ERROR(BuildPublish(cmd, request));
      inodes.push_back(cmd.result_inode);
    }
    return ReviveCollectedBlocks(cmd);
  };
  std::string request_id = requests.size() == 1 ? requests[0].node.request_id : std::string();
  InodeId inode = 0;
  NOKV_RETURN_IF_ERROR(Run(build, request_id, &seq, &inode));
  std::vector<Attr> out;
  if (inodes.empty()) inodes.push_back(inode);  // an idempotent replay
  for (InodeId id : inodes) {
    NOKV_ASSIGN_OR_RETURN(Attr attr, GetAttr(id));
    out.push_back(std::move(attr));
  }
  return out;
}

}  // namespace nokv::meta
