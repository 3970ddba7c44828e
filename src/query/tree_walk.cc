// TreeWalker: paged depth-first traversal.
#include "query/tree_walk.h"

#include "query/args.h"

namespace nokv::query {
namespace {

constexpr size_t kWalkPage = 256;

}  // namespace

TreeWalker::TreeWalker(const Invocation& inv, meta::InodeId root_inode, std::string root_path,
                       bool recursive)
    : inv_(inv), root_inode_(root_inode), root_path_(std::move(root_path)), recursive_(recursive) {
  Push(root_inode_, root_path_, "");
}

void TreeWalker::Push(meta::InodeId inode, std::string path, std::string after) {
  Frame frame;
  frame.inode = inode;
  frame.path = std::move(path);
  frame.after = std::move(after);
  stack_.push_back(std::move(frame));
}

void TreeWalker::ResumeAfter(std::string_view path) {
  stack_.clear();
  pending_.reset();
  std::string_view rel = path.substr(root_path_ == "/" ? 1 : root_path_.size() + 1);
  meta::InodeId dir = root_inode_;
  std::string dir_path = root_path_;
  while (true) {
    size_t slash = rel.find('/');
    std::string name(rel.substr(0, slash));
    Push(dir, dir_path, name);
    if (slash == std::string_view::npos || !recursive_) return;
    auto child = inv_.meta->Lookup(dir, name, inv_.at());
    if (!child.ok()) return;  // the rest of that subtree is gone: continue after it
    dir = child->inode;
    dir_path = JoinChild(dir_path, name);
    rel.remove_prefix(slash + 1);
  }
}

bool TreeWalker::Next(std::string* path, meta::Attr* attr) {
  if (pending_) {
    stack_.push_back(std::move(*pending_));
    pending_.reset();
  }
  while (!stack_.empty()) {
    Frame& top = stack_.back();
    if (top.next == top.page.entries.size()) {
      if (!top.more) {
        stack_.pop_back();
        continue;
      }
      auto page = inv_.meta->ReadDir(top.inode, top.after, kWalkPage, true, inv_.at());
      if (!page.ok()) {
        error_ = FromStatus(page.status());
        return false;
      }
      top.page = std::move(page).value();
      top.next = 0;
      top.more = top.page.more;
      continue;
    }
    size_t i = top.next++;
    top.after = top.page.entries[i].name;
    *path = JoinChild(top.path, top.after);
    *attr = top.page.attrs[i];
    if (recursive_ && attr->type == meta::FileType::kDirectory) {
      // Built apart and moved in: clang 14 cannot default-construct a
      // nested class with member initializers inside std::optional.
      Frame frame;
      frame.inode = attr->inode;
      frame.path = *path;
      pending_ = std::move(frame);
    }
    return true;
  }
  return false;
}

}  // namespace nokv::query
