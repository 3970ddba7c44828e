// Removing and moving entries: unlink, rmdir, rename (no-replace, replace,
// exchange).
#include "meta/command.h"
#include "meta/path.h"
#include "meta/resolved.h"

namespace nokv::meta {
namespace {

// Deletes every xattr of `inode` inside `batch`.
Status DeleteXattrs(holt::Engine* engine, holt::Batch* batch, InodeId inode) {
  holt::ScanOptions scan;
  scan.prefix = XattrPrefix(inode);
  scan.keys_only = true;
  scan.limit = 100000;
  NOKV_ASSIGN_OR_RETURN(auto rows, engine->Scan(scan));
  for (const auto& row : rows) batch->Delete(row.key);
  return Status::Ok();
}

}  // namespace

Status MetaService::DropEntry(Command& cmd, InodeId parent, const DirEntry& victim,
                              std::string_view path, bool touch_parent) {
  uint64_t version = 0;
  NOKV_ASSIGN_OR_RETURN(Attr attr, ReadAttr(victim.inode, nullptr, &version));
  cmd.batch().Delete(DentryKey(parent, victim.name));
  if (attr.type == FileType::kDirectory) {
    if (victim.inode == kRootInode) return Status::PermissionDenied("cannot remove /");
    if (attr.child_count > 0) return Status::NotEmpty(std::string(path) + " is not empty");
    cmd.batch().RequirePrefixEmpty(DentryPrefix(victim.inode));
    cmd.Guard(InodeKey(victim.inode), version);  // xattrs read below stay the ones there are
    cmd.batch().Delete(InodeKey(victim.inode));
    NOKV_RETURN_IF_ERROR(DeleteXattrs(engine_.get(), &cmd.batch(), victim.inode));
    if (touch_parent) cmd.TouchDir(parent, -1, -1);
    cmd.Totals(0, -1, 0, 0);
  } else {
    // Every xattr change rewrites the inode (ctime), so this guard also keeps the xattrs
    // deleted below the complete set.
    cmd.Guard(InodeKey(victim.inode), version);
    if (attr.nlink <= 1) {
      cmd.batch().Delete(InodeKey(victim.inode));
      if (auto manifest = GetManifest(victim.inode, attr.generation); manifest.ok()) {
        cmd.batch().Delete(ManifestKey(victim.inode, attr.generation));
        cmd.BlockDeltas(victim.inode, *manifest, -1);
      }
      NOKV_RETURN_IF_ERROR(DeleteXattrs(engine_.get(), &cmd.batch(), victim.inode));
      cmd.Totals(attr.type == FileType::kFile ? -1 : 0, 0, attr.type == FileType::kSymlink ? -1 : 0,
                 attr.type == FileType::kFile ? -static_cast<int64_t>(attr.size) : 0);
    } else {
      attr.nlink -= 1;
      attr.ctime_ns = cmd.now();
      // The primary link is gone; the path of the remaining links is unknown.
      if (attr.parent == parent && attr.name == victim.name) {
        attr.parent = 0;
        attr.name.clear();
      }
      cmd.PutAttr(attr, false);
    }
    if (touch_parent) cmd.TouchDir(parent, -1, 0);
  }
  cmd.Event(EventType::kRemove, path, victim.inode, attr.type);
  return IndexOnRemove(cmd, path, attr.type == FileType::kDirectory);
}

Status MetaService::RemoveEntry(InodeId parent, std::string_view name, bool directory) {
  NOKV_RETURN_IF_ERROR(ValidateName(name));
  return Run(
      [&](Command& cmd) -> Status {
        NOKV_ASSIGN_OR_RETURN(std::string dir_path, GuardDirPath(cmd, parent));
        std::string path = ChildPath(dir_path, name);
        uint64_t version = 0;
        auto entry = ReadDentry(parent, name, nullptr, &version);
        if (!entry.ok()) return Status::NotFound(path + " does not exist");
        if (directory && entry->type != FileType::kDirectory) {
          return Status::NotADirectory(path + " is not a directory");
        }
        if (!directory && entry->type == FileType::kDirectory) {
          return Status::IsADirectory(path + " is a directory");
        }
        cmd.Guard(DentryKey(parent, name), version);
        cmd.result_inode = entry->inode;
        return DropEntry(cmd, parent, *entry, path, /*touch_parent=*/true);
      },
      {});
}

Result<InodeId> MetaService::ResolveDir(std::string_view path) {
  NOKV_ASSIGN_OR_RETURN(Attr attr, Stat(path));
  if (attr.type != FileType::kDirectory) {
    return Status::NotADirectory(std::string(path) + " is not a directory");
  }
  return attr.inode;
}

namespace {
Result<std::pair<std::string, std::string>> SplitParent(std::string_view path) {
  NOKV_ASSIGN_OR_RETURN(auto parts, SplitPath(path));
  if (parts.empty()) return Status::PermissionDenied("cannot change /");
  return std::make_pair(JoinPath(parts, parts.size() - 1), parts.back());
}
}  // namespace

Status MetaService::RemovePath(std::string_view path, bool directory) {
  NOKV_ASSIGN_OR_RETURN(auto split, SplitParent(path));
  NOKV_ASSIGN_OR_RETURN(InodeId parent, ResolveDir(split.first));
  return RemoveEntry(parent, split.second, directory);
}

Status MetaService::Unlink(std::string_view path) { return RemovePath(path, false); }

Status MetaService::UnlinkAt(InodeId parent, std::string_view name) {
  return RemoveEntry(parent, name, /*directory=*/false);
}

Status MetaService::Rmdir(std::string_view path) { return RemovePath(path, true); }

Status MetaService::RmdirAt(InodeId parent, std::string_view name) {
  return RemoveEntry(parent, name, /*directory=*/true);
}

Status MetaService::Rename(std::string_view from, std::string_view to, RenameMode mode) {
  NOKV_ASSIGN_OR_RETURN(auto src, SplitParent(from));
  NOKV_ASSIGN_OR_RETURN(auto dst, SplitParent(to));
  NOKV_ASSIGN_OR_RETURN(InodeId from_parent, ResolveDir(src.first));
  NOKV_ASSIGN_OR_RETURN(InodeId to_parent, ResolveDir(dst.first));
  return RenameAt(from_parent, src.second, to_parent, dst.second, mode);
}

// Points a moved entry's inode at its new (parent, name).
static Status Repoint(MetaService& service, MetaService::Command& cmd, const DirEntry& entry,
                      InodeId old_parent, std::string_view old_name, InodeId new_parent,
                      std::string_view new_name) {
  if (entry.type == FileType::kDirectory) {
    cmd.MoveDir(entry.inode, new_parent, new_name);
    return Status::Ok();
  }
  uint64_t version = 0;
  auto value = service.engine()->Get(InodeKey(entry.inode));
  if (!value.ok()) return Status::NotFound("inode vanished");
  version = value->seq;
  NOKV_ASSIGN_OR_RETURN(Attr attr, DecodeAttr(entry.inode, value->bytes));
  attr.ctime_ns = cmd.now();
  if (attr.parent == old_parent && attr.name == old_name) {
    attr.parent = new_parent;
    attr.name = new_name;
  }
  cmd.Guard(InodeKey(entry.inode), version);
  cmd.PutAttr(attr, false);
  return Status::Ok();
}

Status MetaService::RenameAt(InodeId fp, std::string_view fn, InodeId tp, std::string_view tn,
                             RenameMode mode) {
  NOKV_RETURN_IF_ERROR(ValidateName(fn));
  NOKV_RETURN_IF_ERROR(ValidateName(tn));
  return Run(
      [&](Command& cmd) -> Status {
        NOKV_ASSIGN_OR_RETURN(std::string from_dir, GuardDirPath(cmd, fp));
        NOKV_ASSIGN_OR_RETURN(std::string to_dir, tp == fp ? from_dir : GuardDirPath(cmd, tp));
        std::string from = ChildPath(from_dir, fn), to = ChildPath(to_dir, tn);
        uint64_t sv = 0, dv = 0;
        auto src = ReadDentry(fp, fn, nullptr, &sv);
        if (!src.ok()) return Status::NotFound(from + " does not exist");
        cmd.Guard(DentryKey(fp, fn), sv);
        if (fp == tp && fn == tn) return Status::Ok();
        bool src_dir = src->type == FileType::kDirectory;
        if (src_dir && PathIsUnder(to, from)) {
          return Status::InvalidArgument("cannot move " + from + " into its own subtree " + to);
        }
        auto dst = ReadDentry(tp, tn, nullptr, &dv);
        cmd.Guard(DentryKey(tp, tn), dv);
        cmd.result_inode = src->inode;
        if (mode == RenameMode::kExchange) {
          if (!dst.ok()) return Status::NotFound(to + " does not exist (exchange needs both)");
          bool dst_dir = dst->type == FileType::kDirectory;
          if (dst_dir && PathIsUnder(from, to)) {
            return Status::InvalidArgument("cannot exchange " + to + " with an entry below it");
          }
          cmd.batch().Put(DentryKey(fp, fn), EncodeDentry(dst->inode, dst->type));
          cmd.batch().Put(DentryKey(tp, tn), EncodeDentry(src->inode, src->type));
          NOKV_RETURN_IF_ERROR(Repoint(*this, cmd, *src, fp, fn, tp, tn));
          NOKV_RETURN_IF_ERROR(Repoint(*this, cmd, *dst, tp, tn, fp, fn));
          int64_t shift = static_cast<int64_t>(src_dir) - static_cast<int64_t>(dst_dir);
          if (fp != tp) {
            cmd.TouchDir(fp, 0, -shift);
            cmd.TouchDir(tp, 0, +shift);
          } else {
            cmd.TouchDir(fp, 0, 0);
          }
          cmd.Event(EventType::kRename, to, src->inode, src->type, from);
          cmd.Event(EventType::kRename, from, dst->inode, dst->type, to);
          return IndexOnExchange(cmd, from, *src, to, *dst);
        }
        int64_t to_child = +1, to_nlink = src_dir ? 1 : 0;
        if (dst.ok()) {
          if (mode == RenameMode::kNoReplace) return Status::AlreadyExists(to + " already exists");
          if (dst->inode == src->inode) return Status::Ok();  // two links to one file
          bool dst_dir = dst->type == FileType::kDirectory;
          if (src_dir && !dst_dir) return Status::NotADirectory(to + " is not a directory");
          if (!src_dir && dst_dir) return Status::IsADirectory(to + " is a directory");
          NOKV_RETURN_IF_ERROR(DropEntry(cmd, tp, *dst, to, /*touch_parent=*/false));
          to_child -= 1;
          to_nlink -= dst_dir ? 1 : 0;
        }
        cmd.batch().Delete(DentryKey(fp, fn));
        cmd.batch().Put(DentryKey(tp, tn), EncodeDentry(src->inode, src->type));
        if (fp == tp) {
          cmd.TouchDir(fp, to_child - 1, to_nlink - (src_dir ? 1 : 0));
        } else {
          cmd.TouchDir(fp, -1, src_dir ? -1 : 0);
          cmd.TouchDir(tp, to_child, to_nlink);
        }
        NOKV_RETURN_IF_ERROR(Repoint(*this, cmd, *src, fp, fn, tp, tn));
        cmd.Event(EventType::kRename, to, src->inode, src->type, from);
        return IndexOnRename(cmd, from, to, *src);
      },
      {});
}

}  // namespace nokv::meta
