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

// Removes `victim`, the entry `victim.name` of `parent`, inside `cmd`: its dentry
// and, at its last link, its inode, manifest, block references and xattrs. A
// directory must hold no entries but the `dropped_children` this command
// already removes. No event and no index change.
static Status DropNode(MetaService& service, MetaService::Command& cmd, InodeId parent,
                       const DirEntry& victim, std::string_view path, bool touch_parent,
                       uint64_t dropped_children) {
  auto value = service.engine()->Get(InodeKey(victim.inode));
  if (!value.ok()) return Status::NotFound(Abbreviate(path) + " vanished");
  uint64_t version = value->seq;
  NOKV_ASSIGN_OR_RETURN(Attr attr, DecodeAttr(victim.inode, value->bytes));
  cmd.batch().Delete(DentryKey(parent, victim.name));
  if (attr.type == FileType::kDirectory) {
    if (victim.inode == kRootInode) return Status::PermissionDenied("cannot remove /");
    if (attr.child_count > dropped_children) {
      return Status::NotEmpty(Abbreviate(path) + " is not empty");
    }
    // Children removed by this very command still exist when predicates are
    // checked; then the inode guard alone (every child change merges into it)
    // says nothing was added since.
    if (dropped_children == 0) cmd.batch().RequirePrefixEmpty(DentryPrefix(victim.inode));
    cmd.Guard(InodeKey(victim.inode), version);  // xattrs read below stay the ones there are
    cmd.batch().Delete(InodeKey(victim.inode));
    NOKV_RETURN_IF_ERROR(DeleteXattrs(service.engine(), &cmd.batch(), victim.inode));
    if (touch_parent) cmd.TouchDir(parent, -1, -1);
    cmd.Totals(0, -1, 0, 0);
    return Status::Ok();
  }
  // Every xattr change rewrites the inode (ctime), so this guard also keeps the xattrs
  // deleted below the complete set.
  cmd.Guard(InodeKey(victim.inode), version);
  if (attr.nlink <= 1) {
    cmd.batch().Delete(InodeKey(victim.inode));
    if (auto manifest = service.GetManifest(victim.inode, attr.generation); manifest.ok()) {
      cmd.batch().Delete(ManifestKey(victim.inode, attr.generation));
      cmd.BlockDeltas(victim.inode, *manifest, -1);
    }
    NOKV_RETURN_IF_ERROR(DeleteXattrs(service.engine(), &cmd.batch(), victim.inode));
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
  return Status::Ok();
}

Status MetaService::DropEntry(Command& cmd, InodeId parent, const DirEntry& victim,
                              std::string_view path, bool touch_parent) {
  NOKV_RETURN_IF_ERROR(DropNode(*this, cmd, parent, victim, path, touch_parent, 0));
  cmd.Event(EventType::kRemove, path, victim.inode, victim.type);
  return IndexOnRemove(cmd, path, victim.type == FileType::kDirectory);
}

Status MetaService::RemoveEntry(InodeId parent, std::string_view name, bool directory,
                                uint64_t expected_generation) {
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
        if (expected_generation != 0) {
          uint64_t attr_version = 0;
          NOKV_ASSIGN_OR_RETURN(Attr attr, ReadAttr(entry->inode, nullptr, &attr_version));
          if (attr.generation != expected_generation) {
            return Status::FailedPrecondition(path + " is at generation " +
                                              std::to_string(attr.generation) + ", not " +
                                              std::to_string(expected_generation));
          }
          cmd.Guard(InodeKey(entry->inode), attr_version);
        }
        cmd.result_inode = entry->inode;
        return DropEntry(cmd, parent, *entry, path, /*touch_parent=*/true);
      },
      {});
}

Result<InodeId> MetaService::ResolveDir(std::string_view path) {
  // The directory a new or removed name sits in: a link to it is followed.
  NOKV_ASSIGN_OR_RETURN(std::string normalized, NormalizePath(path));
  NOKV_ASSIGN_OR_RETURN(Resolved r, ResolveFull(normalized, nullptr, /*follow_last=*/true));
  const Attr& attr = r.attr;
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

Status MetaService::RemovePath(std::string_view path, bool directory,
                               uint64_t expected_generation) {
  NOKV_ASSIGN_OR_RETURN(auto split, SplitParent(path));
  NOKV_ASSIGN_OR_RETURN(InodeId parent, ResolveDir(split.first));
  return RemoveEntry(parent, split.second, directory, expected_generation);
}

Status MetaService::Unlink(std::string_view path, uint64_t expected_generation) {
  return RemovePath(path, false, expected_generation);
}

Status MetaService::UnlinkAt(InodeId parent, std::string_view name) {
  return RemoveEntry(parent, name, /*directory=*/false);
}

Status MetaService::Rmdir(std::string_view path) { return RemovePath(path, true); }

Status MetaService::RmdirAt(InodeId parent, std::string_view name) {
  return RemoveEntry(parent, name, /*directory=*/true);
}

namespace {

// One entry a RemoveTree command removes.
struct TreeVictim {
  InodeId parent = 0;
  DirEntry entry;
  uint64_t dropped_children = 0;  // its children removed by the same command
  bool topmost = false;           // its parent stays: it gets the event
  uint64_t count = 1;             // entries removed with it, itself included
  std::string path;               // topmost only
};

// A directory being walked: its entry, where its path ends in the walk's path
// buffer, the last child name visited, and what was taken below it.
struct TreeFrame {
  InodeId parent = 0;
  DirEntry entry;
  size_t path_len = 0;
  std::string after;
  uint64_t taken_children = 0;
  uint64_t taken_below = 0;
  std::vector<size_t> taken_child_index;  // into the victim list
};

constexpr size_t kTreeChildPage = 256;

// Up to `budget` entries of the tree at `root_path`, children before their
// directory (a directory is taken only with all its children). Sets *complete
// when the root itself was taken. Iterative, so depth costs no stack.
Result<std::vector<TreeVictim>> CollectTreeChunk(MetaService& service, InodeId root_parent,
                                                 const DirEntry& root, std::string path,
                                                 size_t budget, bool* complete) {
  std::vector<TreeVictim> victims;
  std::vector<TreeFrame> stack;
  auto take = [&](TreeFrame* parent_frame, InodeId parent, const DirEntry& entry, uint64_t dropped,
                  uint64_t below) {
    victims.push_back(TreeVictim{parent, entry, dropped, false, below + 1, {}});
    if (parent_frame != nullptr) {
      parent_frame->taken_children++;
      parent_frame->taken_below += below + 1;
      parent_frame->taken_child_index.push_back(victims.size() - 1);
    }
  };
  *complete = false;
  if (root.type != FileType::kDirectory) {
    take(nullptr, root_parent, root, 0, 0);
  } else {
    stack.push_back(TreeFrame{root_parent, root, path.size(), {}, 0, 0, {}});
  }
  while (!stack.empty() && victims.size() < budget) {
    TreeFrame& top = stack.back();
    NOKV_ASSIGN_OR_RETURN(auto page,
                          service.ReadDir(top.entry.inode, top.after, kTreeChildPage, false));
    if (page.entries.empty()) {  // every child was taken: take the directory
      TreeFrame done = std::move(stack.back());
      stack.pop_back();
      take(stack.empty() ? nullptr : &stack.back(), done.parent, done.entry, done.taken_children,
           done.taken_below);
      path.resize(stack.empty() ? done.path_len : stack.back().path_len);
      continue;
    }
    for (const auto& child : page.entries) {
      top.after = child.name;
      if (child.type == FileType::kDirectory) {
        path.push_back('/');
        path.append(child.name);
        InodeId parent = top.entry.inode;
        stack.push_back(TreeFrame{parent, child, path.size(), {}, 0, 0, {}});  // `top` dangles
        break;
      }
      take(&top, top.entry.inode, child, 0, 0);
      if (victims.size() >= budget) break;
    }
  }
  // What the command takes is a forest; its topmost entries are the taken
  // children of the directories that stay, or the root.
  if (stack.empty()) {
    *complete = true;
    victims.back().topmost = true;
    victims.back().path = path;
  }
  for (const auto& frame : stack) {
    std::string_view dir(path.data(), frame.path_len);
    for (size_t i : frame.taken_child_index) {
      victims[i].topmost = true;
      victims[i].path = ChildPath(dir, victims[i].entry.name);
    }
  }
  return victims;
}

}  // namespace

Result<uint64_t> MetaService::RemoveTree(std::string_view path) {
  NOKV_ASSIGN_OR_RETURN(std::string root, NormalizePath(path));
  if (root == "/") return Status::PermissionDenied("cannot remove /");
  uint64_t removed = 0;
  for (bool complete = false; !complete;) {
    uint64_t in_chunk = 0;
    Status s = Run(
        [&](Command& cmd) -> Status {
          NOKV_ASSIGN_OR_RETURN(Resolved r, ResolveFull(root, nullptr));
          for (const auto& [key, version] : r.chain) cmd.Guard(key, version);
          DirEntry entry{r.name, r.inode, r.attr.type};
          NOKV_ASSIGN_OR_RETURN(auto victims, CollectTreeChunk(*this, r.parent, entry, root,
                                                               kRemoveTreeBatch, &complete));
          for (const auto& v : victims) {
            NOKV_RETURN_IF_ERROR(
                DropNode(*this, cmd, v.parent, v.entry, v.path, v.topmost, v.dropped_children));
          }
          for (const auto& v : victims) {
            if (!v.topmost) continue;
            Event e;
            e.type = EventType::kRemove;
            e.path = v.path;
            e.inode = v.entry.inode;
            e.file_type = v.entry.type;
            e.count = v.count;
            cmd.Event(std::move(e));
            NOKV_RETURN_IF_ERROR(IndexOnRemove(cmd, v.path, v.entry.type == FileType::kDirectory));
          }
          cmd.result_inode = r.inode;
          in_chunk = victims.size();
          return Status::Ok();
        },
        {});
    if (!s.ok()) {
      // Someone else removed what was left: the tree is gone all the same.
      if (s.code() == Code::kNotFound && removed > 0) return removed;
      return s;
    }
    removed += in_chunk;
  }
  return removed;
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

// Fails with InvalidArgument when moving `entry` from `from` to `to` would put it
// or anything below it deeper than kMaxDepth. Only a directory moving deeper is
// walked: its directories level by level, down to the depth left below `to` (an
// entry at that level must be empty). Every inode read is guarded, so an entry
// made below the tree meanwhile (it changes its parent's inode) makes the
// command run again.
static Status CheckMoveDepth(MetaService& service, MetaService::Command& cmd, const DirEntry& entry,
                             std::string_view from, std::string_view to) {
  size_t to_depth = PathDepth(to);
  NOKV_RETURN_IF_ERROR(CheckDepth(to_depth, to));
  if (entry.type != FileType::kDirectory || to_depth <= PathDepth(from)) return Status::Ok();
  const size_t budget = kMaxDepth - to_depth;  // levels allowed below `to`
  std::vector<InodeId> level{entry.inode};
  for (size_t depth = 0; !level.empty(); ++depth) {
    std::vector<InodeId> next;
    for (InodeId dir : level) {
      auto value = service.engine()->Get(InodeKey(dir));
      if (!value.ok()) return Status(Code::kAborted, "moved tree changed", Reason::kStaleRead);
      cmd.Guard(InodeKey(dir), value->seq);
      NOKV_ASSIGN_OR_RETURN(Attr attr, DecodeAttr(dir, value->bytes));
      if (attr.child_count == 0) continue;
      if (depth == budget) {
        return Status::InvalidArgument("cannot move " + Abbreviate(from) + " to " + Abbreviate(to) +
                                       ": entries below it would lie deeper than " +
                                       std::to_string(kMaxDepth) + " levels (kMaxDepth)");
      }
      for (std::string after;;) {
        NOKV_ASSIGN_OR_RETURN(auto page, service.ReadDir(dir, after, 1024, false));
        for (const auto& child : page.entries) {
          if (child.type == FileType::kDirectory) next.push_back(child.inode);
        }
        if (!page.more || page.entries.empty()) break;
        after = page.entries.back().name;
      }
    }
    level = std::move(next);
  }
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
        NOKV_RETURN_IF_ERROR(CheckMoveDepth(*this, cmd, *src, from, to));
        auto dst = ReadDentry(tp, tn, nullptr, &dv);
        cmd.Guard(DentryKey(tp, tn), dv);
        cmd.result_inode = src->inode;
        if (mode == RenameMode::kExchange) {
          if (!dst.ok()) return Status::NotFound(to + " does not exist (exchange needs both)");
          bool dst_dir = dst->type == FileType::kDirectory;
          if (dst_dir && PathIsUnder(from, to)) {
            return Status::InvalidArgument("cannot exchange " + to + " with an entry below it");
          }
          NOKV_RETURN_IF_ERROR(CheckMoveDepth(*this, cmd, *dst, to, from));
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
