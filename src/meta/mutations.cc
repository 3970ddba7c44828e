// Namespace mutations: mkdir, create, symlink, link, unlink, rmdir, rename,
// setattr and xattrs. Each builds one command; see MetaService::Run.
#include "meta/command.h"
#include "meta/path.h"
#include "meta/resolved.h"

namespace nokv::meta {
namespace {

uint32_t DefaultMode(FileType type, uint32_t mode) {
  if (mode != 0) return mode & 07777;
  switch (type) {
    case FileType::kDirectory:
      return 0755;
    case FileType::kSymlink:
      return 0777;
    case FileType::kFile:
      return 0644;
  }
  return 0644;
}

EventType CreateEvent(FileType type) {
  switch (type) {
    case FileType::kDirectory:
      return EventType::kMkdir;
    case FileType::kSymlink:
      return EventType::kSymlink;
    case FileType::kFile:
      return EventType::kCreate;
  }
  return EventType::kCreate;
}

}  // namespace

Attr AddNode(MetaService::Command& cmd, InodeId inode, InodeId parent, std::string_view name,
             std::string_view path, FileType type, std::string_view target,
             const NodeOptions& options, bool report = true);

Result<InodeId> MetaService::WalkParents(Command& cmd, const std::vector<std::string>& parts,
                                         const NodeOptions& options) {
  NOKV_RETURN_IF_ERROR(CheckDepth(parts.size(), JoinPath(parts, parts.size())));
  InodeId dir = kRootInode;
  bool fresh = false;  // `dir` is created by this very command
  size_t i = 0;
  for (; i + 1 < parts.size(); ++i) {
    if (auto made = cmd.created_dirs.find({dir, parts[i]}); made != cmd.created_dirs.end()) {
      dir = made->second;
      fresh = true;
      continue;
    }
    uint64_t version = 0;
    auto entry = ReadDentry(dir, parts[i], nullptr, &version);
    if (!entry.ok()) break;
    fresh = false;
    if (entry->type == FileType::kSymlink) {
      // A link to a directory leads there; every dentry of the way is guarded.
      NOKV_ASSIGN_OR_RETURN(Resolved r,
                            ResolveFull(JoinPath(parts, i + 1), nullptr, /*follow_last=*/true));
      if (r.attr.type != FileType::kDirectory) {
        return Status::NotADirectory(JoinPath(parts, i + 1) + " leads to " + r.path +
                                     ", which is not a directory");
      }
      for (const auto& [key, seen] : r.chain) cmd.Guard(key, seen);
      dir = r.inode;
      continue;
    }
    if (entry->type != FileType::kDirectory) {
      return Status::NotADirectory(JoinPath(parts, i + 1) + " is not a directory");
    }
    cmd.Guard(DentryKey(dir, parts[i]), version);
    dir = entry->inode;
  }
  if (i + 1 < parts.size() && !options.parents) {
    return Status::NotFound(JoinPath(parts, i + 1) + " does not exist");
  }
  if (!fresh) cmd.batch().RequireExists(InodeKey(dir));
  for (; i + 1 < parts.size(); ++i) {
    InodeId child = AllocateInode();
    // No event of its own, and no path built: the creating event that follows names
    // the deepest path, which lies below this one (docs/metadata.md, Watch).
    AddNode(cmd, child, dir, parts[i], {}, FileType::kDirectory, {},
            NodeOptions{0, options.uid, options.gid, false, {}}, /*report=*/false);
    cmd.created_dirs[{dir, parts[i]}] = child;
    dir = child;
  }
  return dir;
}

Result<std::string> MetaService::GuardDirPath(Command& cmd, InodeId dir) {
  NOKV_ASSIGN_OR_RETURN(std::string path, PathOf(dir));
  NOKV_ASSIGN_OR_RETURN(Resolved r, ResolveFull(path, nullptr));
  if (r.inode != dir)
    return Status(Code::kAborted, "directory moved while resolving", Reason::kStaleRead);
  if (r.attr.type != FileType::kDirectory)
    return Status::NotADirectory(path + " is not a directory");
  for (const auto& [key, version] : r.chain) cmd.Guard(key, version);
  cmd.batch().RequireExists(InodeKey(dir));
  return path;
}

// Adds a new node (parent, name) to `cmd`; parent must be a guarded directory.
// Without `report` the node is a created parent, counted by the next creating event.
Attr AddNode(MetaService::Command& cmd, InodeId inode, InodeId parent, std::string_view name,
             std::string_view path, FileType type, std::string_view target,
             const NodeOptions& options, bool report) {
  Attr attr;
  attr.inode = inode;
  attr.type = type;
  attr.mode = DefaultMode(type, options.mode);
  attr.uid = options.uid;
  attr.gid = options.gid;
  attr.nlink = type == FileType::kDirectory ? 2 : 1;
  attr.size = type == FileType::kSymlink ? target.size() : 0;
  attr.mtime_ns = attr.ctime_ns = cmd.now();
  attr.symlink_target = target;
  attr.parent = parent;
  attr.name = name;
  cmd.NoteNewInode(inode);
  cmd.batch().RequireNotExists(DentryKey(parent, name));
  cmd.batch().Put(DentryKey(parent, name), EncodeDentry(inode, type));
  cmd.PutAttr(attr, /*stamp_generation=*/true);
  cmd.TouchDir(parent, +1, type == FileType::kDirectory ? +1 : 0);
  if (report) {
    cmd.Event(CreateEvent(type), path, inode, type);
  } else {
    cmd.NoteCreatedParent();
  }
  cmd.Totals(type == FileType::kFile, type == FileType::kDirectory, type == FileType::kSymlink, 0);
  return attr;
}

Result<Attr> MetaService::MakeNode(std::string_view path, FileType type, std::string_view target,
                                   const NodeOptions& options) {
  NOKV_ASSIGN_OR_RETURN(auto parts, SplitPath(path));
  if (parts.empty()) return Status::AlreadyExists("/ already exists");
  Attr made;
  uint64_t seq = 0;
  InodeId inode = 0;
  Status s = Run(
      [&](Command& cmd) -> Status {
        NOKV_ASSIGN_OR_RETURN(InodeId dir, WalkParents(cmd, parts, options));
        if (ReadDentry(dir, parts.back(), nullptr).ok()) {
          return Status::AlreadyExists(JoinPath(parts, parts.size()) + " already exists");
        }
        made = AddNode(cmd, AllocateInode(), dir, parts.back(), JoinPath(parts, parts.size()), type,
                       target, options);
        cmd.result_inode = made.inode;
        return Status::Ok();
      },
      options.request_id, &seq, &inode);
  if (!s.ok()) {
    // mkdir -p of an existing directory is success.
    if (s.code() == Code::kAlreadyExists && options.parents && type == FileType::kDirectory) {
      NOKV_ASSIGN_OR_RETURN(Attr existing, Stat(path));
      if (existing.type == FileType::kDirectory) return existing;
    }
    return s;
  }
  if (made.inode != inode || made.inode == 0) return GetAttr(inode);  // an idempotent replay
  made.generation = seq;
  return made;
}

Result<Attr> MetaService::MakeNodeAt(InodeId parent, std::string_view name, FileType type,
                                     std::string_view target, const NodeOptions& options) {
  NOKV_RETURN_IF_ERROR(ValidateName(name));
  Attr made;
  uint64_t seq = 0;
  InodeId inode = 0;
  NOKV_RETURN_IF_ERROR(Run(
      [&](Command& cmd) -> Status {
        NOKV_ASSIGN_OR_RETURN(std::string dir_path, GuardDirPath(cmd, parent));
        std::string path = ChildPath(dir_path, name);
        NOKV_RETURN_IF_ERROR(CheckDepth(PathDepth(path), path));
        if (ReadDentry(parent, name, nullptr).ok()) {
          return Status::AlreadyExists(path + " already exists");
        }
        made = AddNode(cmd, AllocateInode(), parent, name, path, type, target, options);
        cmd.result_inode = made.inode;
        return Status::Ok();
      },
      options.request_id, &seq, &inode));
  if (made.inode != inode || made.inode == 0) return GetAttr(inode);
  made.generation = seq;
  return made;
}

Result<Attr> MetaService::Mkdir(std::string_view path, const NodeOptions& options) {
  return MakeNode(path, FileType::kDirectory, {}, options);
}
Result<Attr> MetaService::MkdirAt(InodeId parent, std::string_view name,
                                  const NodeOptions& options) {
  return MakeNodeAt(parent, name, FileType::kDirectory, {}, options);
}
Result<Attr> MetaService::Create(std::string_view path, const NodeOptions& options) {
  return MakeNode(path, FileType::kFile, {}, options);
}
Result<Attr> MetaService::CreateAt(InodeId parent, std::string_view name,
                                   const NodeOptions& options) {
  return MakeNodeAt(parent, name, FileType::kFile, {}, options);
}
Result<Attr> MetaService::Symlink(std::string_view path, std::string_view target,
                                  const NodeOptions& options) {
  if (target.empty() || target.size() > 4096) {
    return Status::InvalidArgument("symlink target must be 1 to 4096 bytes");
  }
  return MakeNode(path, FileType::kSymlink, target, options);
}
Result<Attr> MetaService::SymlinkAt(InodeId parent, std::string_view name, std::string_view target,
                                    const NodeOptions& options) {
  if (target.empty() || target.size() > 4096) {
    return Status::InvalidArgument("symlink target must be 1 to 4096 bytes");
  }
  return MakeNodeAt(parent, name, FileType::kSymlink, target, options);
}

Result<Attr> MetaService::Link(std::string_view existing, std::string_view new_path) {
  NOKV_ASSIGN_OR_RETURN(Resolved source, ResolveFull(existing, nullptr));
  NOKV_ASSIGN_OR_RETURN(auto parts, SplitPath(new_path));
  if (parts.empty()) return Status::AlreadyExists("/ already exists");
  NOKV_ASSIGN_OR_RETURN(InodeId dir, ResolveDir(JoinPath(parts, parts.size() - 1)));
  return LinkAt(source.inode, dir, parts.back());
}

Result<Attr> MetaService::LinkAt(InodeId inode, InodeId new_parent, std::string_view new_name) {
  NOKV_RETURN_IF_ERROR(ValidateName(new_name));
  Attr linked;
  NOKV_RETURN_IF_ERROR(Run(
      [&](Command& cmd) -> Status {
        uint64_t version = 0;
        NOKV_ASSIGN_OR_RETURN(Attr attr, ReadAttr(inode, nullptr, &version));
        if (attr.type == FileType::kDirectory) {
          return Status::PermissionDenied("hard links to directories are not allowed");
        }
        NOKV_ASSIGN_OR_RETURN(std::string dir_path, GuardDirPath(cmd, new_parent));
        std::string path = ChildPath(dir_path, new_name);
        NOKV_RETURN_IF_ERROR(CheckDepth(PathDepth(path), path));
        if (ReadDentry(new_parent, new_name, nullptr).ok()) {
          return Status::AlreadyExists(path + " already exists");
        }
        cmd.Guard(InodeKey(inode), version);
        attr.nlink += 1;
        attr.ctime_ns = cmd.now();
        cmd.batch().RequireNotExists(DentryKey(new_parent, new_name));
        cmd.batch().Put(DentryKey(new_parent, new_name), EncodeDentry(inode, attr.type));
        cmd.PutAttr(attr, false);
        cmd.TouchDir(new_parent, +1, 0);
        cmd.Event(EventType::kLink, path, inode, attr.type);
        cmd.result_inode = inode;
        linked = attr;
        return Status::Ok();
      },
      {}));
  return linked;
}

}  // namespace nokv::meta
