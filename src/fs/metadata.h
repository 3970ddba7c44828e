// Metadata: the seam between the filesystem facade and the metadata service.
//
// Everything the facade (and so every frontend) asks of the namespace goes
// through this interface: path- and inode-addressed reads and mutations,
// publishing bodies, read pins, snapshots, watch, index administration,
// garbage collection and the agent verbs. Two implementations:
//
//   LocalMetadata   (fs/local_metadata.h)  the metadata service in-process;
//   RemoteMetadata  (src/server)           the same calls over framed RPC.
//
// Filesystem (fs/filesystem.h) is written once over this interface and an
// object store, so embedded and remote clients share the write and read
// paths. Nothing here names the engine: this header and what it includes are
// free of holt.
//
// Read points. A read names the latest state or a snapshot (ReadAt), or a pin
// taken earlier with Pin(): a pin keeps one consistent sequence readable (and
// the blocks its manifests reference out of the collector's reach) until it
// is released. A remote implementation holds pins as leases on the server,
// renewed while the client lives and dropped when it goes away.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "fs/backup.h"
#include "meta/fsck.h"
#include "meta/index_keys.h"
#include "meta/requests.h"
#include "meta/types.h"
#include "query/call.h"
#include "records/rule.h"

namespace nokv::fs {

// Where a read looks: a pin (when set), else a snapshot, else the latest state.
struct ReadAt {
  std::string snapshot;  // "" = latest
  uint64_t pin = 0;      // from Metadata::Pin; 0 = none
};

// A pinned read point.
struct Pin {
  uint64_t id = 0;
  uint64_t seq = 0;  // the commit sequence it reads at
};

// One file opened for reading: a pin on its generation, its attributes and,
// for a non-empty file, its manifest (the blocks to read).
struct OpenedFile {
  Pin pin;
  meta::Attr attr;
  std::optional<meta::Manifest> manifest;
};

// The body digest of an opened file as stat shows it ("sha256:<hex>" or
// "sha256-blocks:<hex>", docs/object-store.md); an empty file's is the
// SHA-256 of no bytes.
std::string BodyDigest(const OpenedFile& file);

// Durations of one kind of operation: how many, their sum, approximate
// quantiles (within about 19%) and the largest, in nanoseconds.
struct LatencySummary {
  uint64_t count = 0;
  uint64_t sum_ns = 0;
  uint64_t p50_ns = 0;
  uint64_t p95_ns = 0;
  uint64_t p99_ns = 0;
  uint64_t max_ns = 0;
};

// Engine and service figures for `doctor` and the server's /stats.
struct MetadataStats {
  uint64_t keys = 0;
  uint64_t visible_seq = 0;
  uint64_t wal_bytes = 0;  // live WAL segments
  uint64_t checkpoint_seq = 0;
  uint64_t wal_segments = 0;
  uint64_t wal_since_checkpoint_bytes = 0;  // what the next open replays
  int64_t checkpoint_unix_ns = 0;           // when the newest image was written; 0: none
  uint64_t checkpoints = 0;                 // images written since the holder opened
  LatencySummary commit_latency;            // every commit since open, failures included
};

class Metadata {
 public:
  virtual ~Metadata() = default;

  // --- Read points ---------------------------------------------------------
  // Pins the state `at` names (a pin in `at` is pinned again: a second hold).
  virtual Result<Pin> PinRead(const ReadAt& at) = 0;
  virtual void Unpin(uint64_t pin) = 0;

  // --- Reads -----------------------------------------------------------------
  virtual Result<meta::Attr> Stat(std::string_view path, const ReadAt& at) = 0;
  virtual Result<meta::Attr> GetAttr(meta::InodeId inode, const ReadAt& at) = 0;
  virtual Result<meta::DirEntry> Lookup(meta::InodeId parent, std::string_view name,
                                        const ReadAt& at) = 0;
  // One page of a directory in name order, strictly after `start_after`.
  virtual Result<meta::DirPage> ReadDir(meta::InodeId dir, std::string_view start_after,
                                        size_t limit, bool with_attrs, const ReadAt& at) = 0;
  // The same, addressed by path (NotADirectory for anything else).
  virtual Result<meta::DirPage> List(std::string_view path, std::string_view start_after,
                                     size_t limit, const ReadAt& at) = 0;
  virtual Result<meta::Manifest> GetManifest(meta::InodeId inode, uint64_t generation,
                                             const ReadAt& at) = 0;
  // Pins the state `at` names and returns the regular file at `path` in it
  // (IsADirectory / InvalidArgument for other types). Release with Unpin.
  virtual Result<OpenedFile> OpenFile(std::string_view path, const ReadAt& at) = 0;
  // The same for the file `inode` (however it is linked).
  virtual Result<OpenedFile> OpenFileAt(meta::InodeId inode, const ReadAt& at) = 0;
  virtual Result<std::string> GetXattr(meta::InodeId inode, std::string_view name,
                                       const ReadAt& at) = 0;
  virtual Result<std::vector<std::string>> ListXattrs(meta::InodeId inode, const ReadAt& at) = 0;
  // One path of an inode (NotFound when unreachable).
  virtual Result<std::string> PathOf(meta::InodeId inode, const ReadAt& at) = 0;
  virtual Result<meta::FsTotals> Totals() = 0;
  virtual Result<MetadataStats> Stats() = 0;

  // --- Namespace mutations -------------------------------------------------
  virtual Result<meta::Attr> Mkdir(std::string_view path, const meta::NodeOptions& options) = 0;
  virtual Result<meta::Attr> MkdirAt(meta::InodeId parent, std::string_view name,
                                     const meta::NodeOptions& options) = 0;
  virtual Result<meta::Attr> CreateAt(meta::InodeId parent, std::string_view name,
                                      const meta::NodeOptions& options) = 0;
  virtual Result<meta::Attr> Symlink(std::string_view path, std::string_view target,
                                     const meta::NodeOptions& options) = 0;
  virtual Result<meta::Attr> SymlinkAt(meta::InodeId parent, std::string_view name,
                                       std::string_view target,
                                       const meta::NodeOptions& options) = 0;
  virtual Result<meta::Attr> Link(std::string_view existing, std::string_view new_path) = 0;
  virtual Result<meta::Attr> LinkAt(meta::InodeId inode, meta::InodeId new_parent,
                                    std::string_view new_name) = 0;
  // expected_generation != 0: only while the file is at that generation, else
  // FailedPrecondition (MetaService::Unlink).
  virtual Status Unlink(std::string_view path, uint64_t expected_generation) = 0;
  virtual Status UnlinkAt(meta::InodeId parent, std::string_view name) = 0;
  virtual Status Rmdir(std::string_view path) = 0;
  // Removes `path` and everything below it, children first, a bounded batch
  // of entries per commit (not atomic); returns the entries removed.
  virtual Result<uint64_t> RemoveTree(std::string_view path) = 0;
  virtual Status RmdirAt(meta::InodeId parent, std::string_view name) = 0;
  virtual Status Rename(std::string_view from, std::string_view to, meta::RenameMode mode) = 0;
  virtual Status RenameAt(meta::InodeId from_parent, std::string_view from_name,
                          meta::InodeId to_parent, std::string_view to_name,
                          meta::RenameMode mode) = 0;
  // Metadata-only changes (a size, if any, must be 0).
  virtual Result<meta::Attr> SetAttr(std::string_view path, const meta::SetAttrRequest& req) = 0;
  virtual Result<meta::Attr> SetAttrAt(meta::InodeId inode, const meta::SetAttrRequest& req) = 0;
  virtual Status SetXattr(meta::InodeId inode, std::string_view name, std::string_view value,
                          meta::XattrMode mode) = 0;
  virtual Status RemoveXattr(meta::InodeId inode, std::string_view name) = 0;

  // --- Bodies ----------------------------------------------------------------
  // Registers an upload in progress: until EndUpload, the collector keeps
  // the blocks it uploads (meta::UploadLease). Returns the lease id.
  virtual Result<uint64_t> BeginUpload() = 0;
  virtual void EndUpload(uint64_t lease) = 0;
  // Publishes the files in one commit: all appear, or none. Blocks must be
  // durable in the store. Aborted with Reason::kBlockCollected when a block
  // was collected and its object is gone: upload it again and retry.
  virtual Result<std::vector<meta::Attr>> Publish(
      const std::vector<meta::PublishRequest>& requests) = 0;

  // --- Snapshots -------------------------------------------------------------
  virtual Result<meta::Snapshot> CreateSnapshot(std::string_view name, std::string_view root,
                                                int64_t expires_ns) = 0;
  virtual Result<std::vector<meta::Snapshot>> ListSnapshots() = 0;
  virtual Status RetireSnapshot(std::string_view name) = 0;
  virtual Result<meta::Snapshot> RenewSnapshot(std::string_view name, int64_t expires_ns) = 0;

  // --- Watch -----------------------------------------------------------------
  // Events under `path` after `cursor`, waiting up to `wait` for the first.
  virtual Result<meta::EventPage> Watch(std::string_view path, std::string_view cursor,
                                        size_t limit, std::chrono::milliseconds wait) = 0;
  // The cursor of the newest event ("" if none).
  virtual Result<std::string> LatestCursor() = 0;

  // --- Index rules -----------------------------------------------------------
  virtual Status AddIndexRule(const records::IndexRule& rule) = 0;
  virtual Status RemoveIndexRule(std::string_view id) = 0;
  // Every stored rule with its state, in id order.
  virtual Result<std::vector<meta::RuleRecord>> IndexRuleRecords() = 0;
  virtual Status Reindex(std::string_view id) = 0;
  // The files a rule could not index or indexed with values skipped, with up
  // to `examples` of each (MetaService::IndexRuleProblems).
  virtual Result<meta::IndexProblems> IndexRuleProblems(std::string_view id, size_t examples) = 0;

  // --- Maintenance -----------------------------------------------------------
  // fsck (MetaService::Fsck): checks, and with options.repair fixes, the
  // metadata and its blocks where the metadata lives (a server checks its own).
  virtual Result<meta::FsckReport> Fsck(const meta::FsckOptions& options) = 0;
  virtual Result<meta::GcReport> CollectGarbage() = 0;
  // What CollectGarbage would do now, changing nothing (MetaService::PlanGarbage).
  virtual Result<meta::GcPlan> PlanGarbage() = 0;
  // Retires expired snapshots and prunes watch events and dedupe records past
  // retention, without the block work of CollectGarbage (no store listing):
  // what a server runs every minute. Fills only snapshots_expired,
  // events_pruned and dedupe_pruned.
  virtual Result<meta::GcReport> ExpireAndPrune() = 0;
  // Writes a metadata checkpoint now (recovery then replays less WAL).
  virtual Status Checkpoint() = 0;
  // Takes a metadata backup (fs/backup.h) in the process that holds the
  // metadata, into its object store or the local directory options.to.
  virtual Result<BackupReport> Backup(const BackupOptions& options) = 0;
  // The complete backups in the holder's object store, or in the local
  // directory `from`, oldest first.
  virtual Result<std::vector<BackupDescriptor>> ListBackups(std::string_view from) = 0;

  // --- Agent verbs -----------------------------------------------------------
  // Fails when `scope` cannot be served (root not a directory, unknown
  // snapshot); a frontend checks once before it serves.
  virtual Status CheckVerbScope(const query::ServiceOptions& scope) = 0;
  // Runs one of the seven read-only verbs confined to `scope`. Returns the
  // verb's result object or {"error": {...}} (query/service.h).
  virtual nlohmann::json CallVerb(std::string_view verb, const nlohmann::json& args,
                                  const query::ServiceOptions& scope,
                                  const query::CallControl& control) = 0;
};

}  // namespace nokv::fs
