// Attribute changes: setattr (mode, owner, times, truncation to zero) and
// extended attributes. Each command guards the inode version and the dentry chain of
// the path it reports in events and index rows (GuardInodePath), and every xattr change
// rewrites the inode (ctime), so an unlink that read the xattrs sees a conflict.
#include "meta/command.h"
#include "meta/path.h"
#include "meta/resolved.h"

namespace nokv::meta {

Result<Attr> MetaService::SetAttr(std::string_view path, const SetAttrRequest& request) {
  NOKV_ASSIGN_OR_RETURN(InodeId inode, Resolve(path));
  return SetAttrAt(inode, request);
}

Result<Attr> MetaService::SetAttrAt(InodeId inode, const SetAttrRequest& request) {
  Attr result;
  bool content_changed = false;
  uint64_t seq = 0;
  NOKV_RETURN_IF_ERROR(Run(
      [&](Command& cmd) -> Status {
        uint64_t version = 0;
        NOKV_ASSIGN_OR_RETURN(Attr attr, ReadAttr(inode, nullptr, &version));
        cmd.Guard(InodeKey(inode), version);
        if (request.mode) attr.mode = *request.mode & 07777;
        if (request.uid) attr.uid = *request.uid;
        if (request.gid) attr.gid = *request.gid;
        if (request.mtime_ns) attr.mtime_ns = *request.mtime_ns;
        attr.ctime_ns = cmd.now();
        NOKV_ASSIGN_OR_RETURN(std::string path, GuardInodePath(cmd, inode));
        content_changed = false;
        if (request.size && *request.size != attr.size) {
          if (attr.type == FileType::kDirectory)
            return Status::IsADirectory(path + " is a directory");
          if (attr.type != FileType::kFile)
            return Status::InvalidArgument("only files can be truncated");
          if (*request.size != 0) {
            return Status::NotSupported(
                "metadata truncation only to size 0; the filesystem "
                "layer rewrites other sizes");
          }
          if (auto manifest = GetManifest(inode, attr.generation); manifest.ok()) {
            cmd.batch().Delete(ManifestKey(inode, attr.generation));
            cmd.BlockDeltas(attr.inode, *manifest, -1);
          }
          cmd.Totals(0, 0, 0, -static_cast<int64_t>(attr.size));
          attr.size = 0;
          if (!request.mtime_ns) attr.mtime_ns = cmd.now();
          content_changed = true;
          if (!path.empty())
            NOKV_RETURN_IF_ERROR(IndexOnPublish(cmd, path, nullptr, std::string_view()));
        }
        cmd.PutAttr(attr, content_changed);
        cmd.Event(EventType::kSetattr, path, inode, attr.type);
        cmd.result_inode = inode;
        result = attr;
        return Status::Ok();
      },
      {}, &seq));
  if (content_changed) result.generation = seq;
  return result;
}

Status MetaService::SetXattr(InodeId inode, std::string_view name, std::string_view value,
                             XattrMode mode) {
  if (name.empty() || name.size() > kMaxXattrName || name.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("attribute names are 1 to 255 bytes without NUL");
  }
  if (value.size() > kMaxXattrValue) {
    return Status::TooLarge("attribute values are at most 64 KiB");
  }
  return Run(
      [&](Command& cmd) -> Status {
        uint64_t version = 0;
        NOKV_ASSIGN_OR_RETURN(Attr attr, ReadAttr(inode, nullptr, &version));
        auto existing = engine_->Get(XattrKey(inode, name));
        if (mode == XattrMode::kCreate && existing.ok()) {
          return Status::AlreadyExists("attribute " + std::string(name) + " exists");
        }
        if (mode == XattrMode::kReplace && !existing.ok()) {
          return Status::NotFound("no attribute " + std::string(name));
        }
        NOKV_ASSIGN_OR_RETURN(std::string path, GuardInodePath(cmd, inode));
        cmd.Guard(XattrKey(inode, name), existing.ok() ? existing->seq : 0);
        cmd.Guard(InodeKey(inode), version);
        attr.ctime_ns = cmd.now();
        cmd.PutAttr(attr, false);
        cmd.batch().Put(XattrKey(inode, name), value);
        cmd.Event(EventType::kXattr, path, inode, attr.type, {}, name);
        return Status::Ok();
      },
      {});
}

Status MetaService::RemoveXattr(InodeId inode, std::string_view name) {
  return Run(
      [&](Command& cmd) -> Status {
        uint64_t version = 0;
        NOKV_ASSIGN_OR_RETURN(Attr attr, ReadAttr(inode, nullptr, &version));
        auto existing = engine_->Get(XattrKey(inode, name));
        if (!existing.ok()) return Status::NotFound("no attribute " + std::string(name));
        NOKV_ASSIGN_OR_RETURN(std::string path, GuardInodePath(cmd, inode));
        cmd.Guard(XattrKey(inode, name), existing->seq);
        cmd.Guard(InodeKey(inode), version);
        attr.ctime_ns = cmd.now();
        cmd.PutAttr(attr, false);
        cmd.batch().Delete(XattrKey(inode, name));
        cmd.Event(EventType::kXattr, path, inode, attr.type, {}, name);
        return Status::Ok();
      },
      {});
}

}  // namespace nokv::meta
