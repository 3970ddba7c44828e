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

// What a collection run would do now, and what holds the rest back
// (MetaService::PlanGarbage, `nokv gc --dry-run`). Sizes come from the
// object store's listing; a block the store no longer lists counts 0 bytes.
struct GcPlan {
  uint64_t blocks = 0;  // unreferenced blocks no pin can read
  uint64_t block_bytes = 0;
  uint64_t orphans = 0;  // uploads no publish referenced, older than the grace period
  uint64_t orphan_bytes = 0;
  uint64_t young_orphans = 0;  // the same, still within the grace period: kept
  uint64_t young_orphan_bytes = 0;
  int64_t orphan_grace_ns = 0;
  std::vector<std::string> snapshots_expiring;  // past their expiry: retired first
  // Every snapshot and backup, and the open readers: what each keeps from
  // being collected. A block two pins need counts under both.
  struct Pin {
    std::string kind;  // "snapshot", "backup" or "readers"
    std::string name;  // snapshot name or backup id ("" for readers)
    uint64_t seq = 0;  // the sequence the pin reads at (0 for readers)
    uint64_t blocks = 0;
    uint64_t bytes = 0;
  };
  std::vector<Pin> pins;
  uint64_t events = 0;  // watch events past retention
  uint64_t dedupe = 0;  // dedupe records past retention
};

// Files an index rule could not fully extract (MetaService::IndexRuleProblems):
// those whose body was not read or not parsed (the row holds only `_error`),
// and those with values skipped (`_warning`), with the first few of each.
struct IndexProblems {
  struct Example {
    std::string path;  // the row's path
    std::string message;
  };
  uint64_t not_indexed = 0;
  uint64_t values_skipped = 0;
  std::vector<Example> not_indexed_examples;
  std::vector<Example> values_skipped_examples;
};

struct FsTotals {
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  uint64_t bytes = 0;
};

}  // namespace nokv::meta
