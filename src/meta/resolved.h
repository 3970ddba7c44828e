// Resolved: the outcome of walking a path, with the versions a command must
// guard to know the walk is still valid when it commits. Internal to src/meta.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "meta/meta_service.h"

namespace nokv::meta {

struct MetaService::Resolved {
  std::string path;  // normalized
  InodeId inode = kRootInode;
  Attr attr;
  uint64_t attr_version = 0;
  InodeId parent = 0;  // 0 for the root
  std::string name;
  // (dentry key, version) of every component, root first.
  std::vector<std::pair<std::string, uint64_t>> chain;
};

// The holt durable-pin name of a snapshot.
inline std::string SnapshotPinName(std::string_view name) { return "snap/" + std::string(name); }
// The holt durable-pin name of a backup.
inline std::string BackupPinName(std::string_view id) { return "backup/" + std::string(id); }

}  // namespace nokv::meta
