// TreeWalker: the entries below a directory, depth-first in name order, at
// the invocation's read point, paged through ReadDir (never a whole
// directory in memory). Resumable right after any path below the root.
//
// One thread at a time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "meta/meta_service.h"
#include "query/invocation.h"

namespace nokv::query {

class TreeWalker {
 public:
  // `root` must be a directory; `recursive` false: direct children only.
  TreeWalker(const Invocation& inv, meta::InodeId root_inode, std::string root_path,
             bool recursive);

  // Restarts the walk right after `path` (a path strictly below the root).
  void ResumeAfter(std::string_view path);
  // The next entry; false at the end or on an error (see error()).
  bool Next(std::string* path, meta::Attr* attr);
  const VerbError& error() const { return error_; }

 private:
  struct Frame {
    meta::InodeId inode = 0;
    std::string path;
    std::string after;  // the last name handed out (or to resume after)
    meta::DirPage page;
    size_t next = 0;
    bool more = true;
  };
  void Push(meta::InodeId inode, std::string path, std::string after);

  const Invocation& inv_;
  meta::InodeId root_inode_;
  std::string root_path_;
  bool recursive_;
  std::vector<Frame> stack_;
  std::optional<Frame> pending_;  // a directory to descend into on the next call
  VerbError error_;
};

}  // namespace nokv::query
