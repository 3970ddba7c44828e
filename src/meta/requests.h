// The requests and results of metadata operations, shared by the metadata
// service (src/meta) and the seam every frontend reaches it through
// (src/fs/metadata.h). Plain data; nothing here knows the engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meta/types.h"

namespace nokv::meta {

struct NodeOptions {
  uint32_t mode = 0;  // 0: 0644 for files, 0755 for directories, 0777 for symlinks
  uint32_t uid = 0;
  uint32_t gid = 0;
  bool parents = false;    // create missing parent directories in the same commit
  std::string request_id;  // makes the mutation idempotent on retry
};

enum class PublishMode { kCreate, kReplace, kReplaceIfGeneration };

struct PublishRequest {
  std::string path;
  // When set, the body replaces that of this existing file, wherever it is
  // linked (`path` is ignored; kCreate is InvalidArgument): how a frontend
  // that addresses inodes (FUSE) publishes a file that may have been renamed
  // while it was open.
  InodeId inode = 0;
  Manifest manifest;
  PublishMode mode = PublishMode::kCreate;
  uint64_t expected_generation = 0;  // kReplaceIfGeneration
  NodeOptions node;                  // for a new file (parents honoured)
  // The body bytes when the caller still has them (small structured files),
  // so index extraction does not read them back from the store.
  std::optional<std::string_view> body;
};

enum class RenameMode { kNoReplace, kReplace, kExchange };

struct SetAttrRequest {
  std::optional<uint32_t> mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<int64_t> mtime_ns;
  // Only truncation to 0 is a metadata operation; other sizes need new
  // bytes and are done by the filesystem layer (NotSupported here).
  std::optional<uint64_t> size;
};

enum class XattrMode { kEither, kCreate, kReplace };
inline constexpr size_t kMaxXattrName = 255;
inline constexpr size_t kMaxXattrValue = 64 * 1024;

struct DirPage {
  std::vector<DirEntry> entries;
  std::vector<Attr> attrs;  // parallel to entries when requested
  bool more = false;
};

struct EventPage {
  std::vector<Event> events;
  std::string next_cursor;  // resume after the last event returned
};

struct GcReport {
  uint64_t blocks_deleted = 0;
  uint64_t blocks_waiting_for_snapshots = 0;
  uint64_t claims_resumed = 0;  // claims an interrupted run left, finished now
  uint64_t stale_hints_dropped = 0;
  uint64_t collected_markers_pruned = 0;
  uint64_t orphans_deleted = 0;
  uint64_t events_pruned = 0;
  uint64_t dedupe_pruned = 0;
  uint64_t snapshots_expired = 0;
};

struct FsTotals {
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  uint64_t bytes = 0;
};

}  // namespace nokv::meta
