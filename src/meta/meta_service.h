// MetaService: filesystem metadata over Holt.
//
// Every mutation is one MetadataCommand = one atomic engine batch: the
// command reads what it needs at the latest sequence, then commits its
// writes guarded by predicates on everything it read (dentries along the
// path, the entries it replaces). If a concurrent commit invalidated a read,
// the command is rebuilt and retried, so callers see POSIX-like outcomes
// (AlreadyExists, NotFound, NotEmpty, ...) and never a torn namespace.
//
// Reads go through a ReadContext: the latest sequence or a snapshot.
//
// Thread-safety: all methods are safe from any thread. ReadContexts must not
// outlive the service.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/thread_pool.h"
#include "holt/engine.h"
#include "meta/fsck.h"
#include "meta/index_keys.h"
#include "meta/requests.h"
#include "meta/types.h"
#include "object/object_store.h"
#include "records/row.h"
#include "records/rule.h"

namespace nokv::meta {

struct MetaOptions {
  holt::Options engine;                  // merge_operator is set by the service
  object::ObjectStore* store = nullptr;  // for GC deletes and index back-fill reads
  uint64_t watch_retention_events = 1'000'000;
  std::chrono::seconds watch_retention_age{7 * 24 * 3600};
  std::chrono::seconds orphan_grace{3600};
  std::chrono::seconds dedupe_retention{24 * 3600};
  int max_retries = 64;             // rebuilds of a conflicted command
  std::function<int64_t()> now_ns;  // wall clock; tests inject one
};

// A consistent read point: the latest sequence when made, or a snapshot
// (then reads are confined to the snapshot's subtree).
class ReadContext {
 public:
  uint64_t seq() const { return view_.seq(); }
  const holt::ReadView* view() const { return &view_; }
  // The snapshot this context reads, if any.
  const std::optional<Snapshot>& snapshot() const { return snapshot_; }

 private:
  friend class MetaService;
  struct FsckIssue;  // fsck_check.h
  holt::ReadView view_;
  std::optional<Snapshot> snapshot_;
};

class MetaService;
struct FsckIssue;  // fsck_check.h

// An upload in progress. While a lease is alive the collector keeps every
// block object uploaded since shortly before it began (an orphan sweep does
// not take it) and every collected-block marker written since, so a writer
// that uploads for longer than the orphan grace period loses nothing. Get one
// before uploading the blocks of a publish; drop it after the publish.
// Movable, not copyable; must not outlive the service.
class UploadLease {
 public:
  UploadLease() = default;
  UploadLease(UploadLease&& other) noexcept;
  UploadLease& operator=(UploadLease&& other) noexcept;
  ~UploadLease();

 private:
  friend class MetaService;
  UploadLease(MetaService* service, uint64_t id) : service_(service), id_(id) {}
  void Release();
  MetaService* service_ = nullptr;
  uint64_t id_ = 0;
};

class MetaService {
 public:
  static Result<std::unique_ptr<MetaService>> Open(const std::string& dir, MetaOptions options);
  // Makes `dir` (absent or empty) a metadata directory holding the image in
  // the file `image` (written by ExportBackupImage), moving the file in; the
  // next Open loads it (holt::InstallImage).
  static Status InstallImage(const std::string& image, const std::string& dir);
  ~MetaService();

  // --- Read points -------------------------------------------------------
  ReadContext Latest();
  Result<ReadContext> AtSnapshot(std::string_view name);
  // Re-pins an earlier read point if it is still retained (holt PinAt);
  // Expired otherwise.
  Result<ReadContext> AtSequence(uint64_t seq);

  // --- Reads (nullptr context: the latest sequence) ----------------------
  // Follows symlinks before the last component (lstat). `resolved`, when
  // given, receives the path reached, links replaced (so a caller can confine
  // reads to a subtree).
  Result<Attr> Stat(std::string_view path, const ReadContext* at = nullptr,
                    std::string* resolved = nullptr);
  Result<Attr> GetAttr(InodeId inode, const ReadContext* at = nullptr);
  Result<DirEntry> Lookup(InodeId parent, std::string_view name, const ReadContext* at = nullptr);
  // Resolves a path without following a final symlink.
  Result<InodeId> Resolve(std::string_view path, const ReadContext* at = nullptr);
  // One page of `dir` in name order, strictly after `start_after`.
  Result<DirPage> ReadDir(InodeId dir, std::string_view start_after, size_t limit, bool with_attrs,
                          const ReadContext* at = nullptr);
  Result<Manifest> GetManifest(InodeId inode, uint64_t generation, const ReadContext* at = nullptr);
  Result<std::string> GetXattr(InodeId inode, std::string_view name,
                               const ReadContext* at = nullptr);
  Result<std::vector<std::string>> ListXattrs(InodeId inode, const ReadContext* at = nullptr);
  FsTotals Totals(const ReadContext* at = nullptr);
  // The path of an inode found by walking up from it (files with several
  // links give one of their paths). NotFound when unreachable.
  Result<std::string> PathOf(InodeId inode, const ReadContext* at = nullptr);

  // --- Namespace mutations -----------------------------------------------
  Result<Attr> Mkdir(std::string_view path, const NodeOptions& options = {});
  Result<Attr> MkdirAt(InodeId parent, std::string_view name, const NodeOptions& options = {});
  // An empty regular file; AlreadyExists if the name is taken.
  Result<Attr> Create(std::string_view path, const NodeOptions& options = {});
  Result<Attr> CreateAt(InodeId parent, std::string_view name, const NodeOptions& options = {});
  Result<Attr> Symlink(std::string_view path, std::string_view target,
                       const NodeOptions& options = {});
  Result<Attr> SymlinkAt(InodeId parent, std::string_view name, std::string_view target,
                         const NodeOptions& options = {});
  Result<Attr> Link(std::string_view existing, std::string_view new_path);
  Result<Attr> LinkAt(InodeId inode, InodeId new_parent, std::string_view new_name);
  // With expected_generation != 0, only while the file is at that generation
  // (else FailedPrecondition naming the generation it is at).
  Status Unlink(std::string_view path, uint64_t expected_generation = 0);
  Status UnlinkAt(InodeId parent, std::string_view name);
  Status Rmdir(std::string_view path);
  Status RmdirAt(InodeId parent, std::string_view name);
  // Removes `path` and everything below it, children before their directory, in
  // commands of at most kRemoveTreeBatch entries (not atomic: after an error part
  // of the tree may be gone). Each command emits one remove event per topmost
  // entry it removed, counting the entries that went with it. Returns the number
  // of entries removed; PermissionDenied for "/".
  static constexpr size_t kRemoveTreeBatch = 1024;
  Result<uint64_t> RemoveTree(std::string_view path);
  Status Rename(std::string_view from, std::string_view to, RenameMode mode = RenameMode::kReplace);
  Status RenameAt(InodeId from_parent, std::string_view from_name, InodeId to_parent,
                  std::string_view to_name, RenameMode mode = RenameMode::kReplace);
  Result<Attr> SetAttr(std::string_view path, const SetAttrRequest& request);
  Result<Attr> SetAttrAt(InodeId inode, const SetAttrRequest& request);
  Status SetXattr(InodeId inode, std::string_view name, std::string_view value, XattrMode mode);
  Status RemoveXattr(InodeId inode, std::string_view name);

  // --- Bodies --------------------------------------------------------------
  // Blocks must already be in the object store (uploaded under an
  // UploadLease). Retries transparently while a block it references is being
  // collected. A block that was collected is revived when its object is in
  // the store again (the writer's upload re-created it); when it is not,
  // fails with Aborted, reason kBlockCollected: upload the bytes again and
  // call again.
  Result<Attr> Publish(const PublishRequest& request);
  // Several files in one commit: all appear, or none.
  Result<std::vector<Attr>> PublishMany(const std::vector<PublishRequest>& requests);
  // Registers an upload in progress (see UploadLease).
  UploadLease BeginUpload();

  // --- Snapshots -----------------------------------------------------------
  Result<Snapshot> CreateSnapshot(std::string_view name, std::string_view root,
                                  int64_t expires_ns = 0);
  Result<std::vector<Snapshot>> ListSnapshots();
  Status RetireSnapshot(std::string_view name);
  Result<Snapshot> RenewSnapshot(std::string_view name, int64_t expires_ns);

  // --- Backups -------------------------------------------------------------
  // Records backup `id` (a valid id: 1-128 bytes, no NUL or whitespace) and
  // pins the namespace at the recording commit, so GC keeps every block the
  // namespace references at that sequence until DropBackup. AlreadyExists
  // when the id is taken.
  Result<BackupRecord> BeginBackup(std::string_view id, std::string_view location);
  // Appends the metadata image of backup `id` to `out`: holt's checkpoint
  // image at its pinned sequence (docs/formats/checkpoint.md), with the
  // durable pins (snapshots, older backups) made before it. NotFound when
  // there is no such backup.
  Result<holt::ImageInfo> ExportBackupImage(std::string_view id, WritableFile* out);
  // A read context at backup `id`'s sequence (the whole namespace).
  Result<ReadContext> AtBackup(std::string_view id);
  // Every backup record, by id.
  Result<std::vector<BackupRecord>> ListBackups();
  // Deletes the record and releases its pin; NotFound when absent.
  Status DropBackup(std::string_view id);

  // --- Watch ---------------------------------------------------------------
  // Events under `path` (a subtree) after `cursor` ("" = from the oldest
  // retained). Waits up to `wait` for the first event when none is ready.
  // Expired when the cursor is older than retention (naming the oldest).
  Result<EventPage> Watch(std::string_view path, std::string_view cursor, size_t limit,
                          std::chrono::milliseconds wait = std::chrono::milliseconds(0));
  // The cursor of the newest event ("" if none).
  std::string LatestCursor();

  // --- Garbage collection --------------------------------------------------
  // One collection run: expired snapshots, unreferenced blocks, orphaned
  // uploads, watch and dedupe retention. Runs are single-flight: a second
  // caller waits for the running one. Every claim carries the run's owner id
  // and is released only by that run; a claim left by an interrupted run is
  // finished by the next.
  Result<GcReport> CollectGarbage();
  // The part of a collection run that needs no object store and no block
  // scan: retires expired snapshots and prunes watch events and dedupe
  // records past their retention (MetaOptions). Cheap enough to run every
  // minute; single flight with CollectGarbage. The report fills only
  // snapshots_expired, events_pruned and dedupe_pruned.
  Result<GcReport> ExpireAndPrune();
  // What CollectGarbage would do now, changing nothing: the blocks and
  // orphaned uploads it would delete with their bytes, the uploads still
  // within the grace period, the snapshots it would retire, the history it
  // would prune, and what each snapshot, backup and the open readers keep.
  // Single flight with CollectGarbage.
  Result<GcPlan> PlanGarbage();

  // --- Consistency check (docs/fsck.md) -----------------------------------
  // Checks the namespace, manifests, blocks (present, right size; read and
  // checked with options.verify), reference counts, leaked objects, index
  // rows and records at one pinned view, and returns typed findings. With
  // options.repair also fixes what can be fixed without losing data, each fix
  // a commit guarded on the version the check read (a concurrent change wins
  // and the finding says so), then checks again: report.remaining counts
  // what is still wrong. Not single flight with itself; safe beside writers.
  Result<FsckReport> Fsck(const FsckOptions& options);

  // --- Index rules ---------------------------------------------------------
  // Adds (or replaces) a rule and back-fills rows for existing files. Each step is
  // persisted in the rule record (docs/metadata.md, "Index rules"); an interrupted
  // back-fill resumes at the next open or with Reindex.
  Status AddIndexRule(const records::IndexRule& rule);
  Status RemoveIndexRule(std::string_view id);
  // The rules find can use: ready, or still back-filling (see IndexRuleRecords).
  std::vector<records::IndexRule> IndexRules();
  // Drops a rule's rows and back-fills them again; also finishes an interrupted
  // back-fill (or removal: then NotFound).
  Status Reindex(std::string_view id);
  // Replaces every row of `rule_id` with `rows` (row path -> row), atomically.
  Status RegisterBulkRows(std::string_view rule_id,
                          const std::map<std::string, records::Row>& rows);
  // Every stored rule with its state and back-fill cursor, in id order.
  Result<std::vector<RuleRecord>> IndexRuleRecords();
  // The files of `rule_id` that were not indexed or had values skipped, with
  // up to `examples` of each (docs/metadata.md, "Index rows").
  Result<IndexProblems> IndexRuleProblems(std::string_view rule_id, size_t examples);
  // Index keys (row and value families, docs/formats/meta-keys.md) in key
  // order: how the verbs walk rows and value indexes without the engine.
  Result<std::vector<std::string>> ScanIndexKeys(const IndexScan& scan,
                                                 const ReadContext* at = nullptr);
  // The stored row of `rule_id` at `row_path`; NotFound when there is none.
  Result<StoredRow> GetRow(std::string_view rule_id, std::string_view row_path,
                           const ReadContext* at = nullptr);
  // Test hook: runs before each back-fill commit with the number of files in it.
  void SetBackfillHook(std::function<void(size_t files)> hook);

  holt::Engine* engine() { return engine_.get(); }

  // Internal to src/meta (defined in command.h and resolved.h).
  class Command;
  struct Resolved;
  uint64_t visible_seq() const { return engine_->visible_seq(); }

 private:
  friend class Command;
  friend class FsckChecker;

  MetaService(MetaOptions options);
  int64_t Now() const;
  Status Init();
  Status LoadRules();

  // Resolution. Symbolic links met before the last component are followed
  // (absolute targets from /, relative ones from the link's directory), the
  // last one only with `follow_last`; more than kMaxSymlinkHops links is
  // FailedPrecondition with Reason::kSymlinkLoop ("too many levels of
  // symbolic links", ELOOP).
  // Resolved::path is the path reached, links replaced.
  Result<Resolved> ResolveFull(std::string_view path, const holt::ReadView* view,
                               bool follow_last = false);
  // The inode of the directory at `path`; NotADirectory for anything else.
  Result<InodeId> ResolveDir(std::string_view path);
  Result<Attr> ReadAttr(InodeId inode, const holt::ReadView* view, uint64_t* version = nullptr);
  Result<DirEntry> ReadDentry(InodeId parent, std::string_view name, const holt::ReadView* view,
                              uint64_t* version = nullptr);
  Result<Attr> AtRoot(const ReadContext* at, std::string_view path, std::string* inner);

  // Commands.
  Status Run(const std::function<Status(Command&)>& build, std::string_view request_id,
             uint64_t* seq = nullptr, InodeId* inode = nullptr);
  Result<Attr> MakeNode(std::string_view path, FileType type, std::string_view target,
                        const NodeOptions& options);
  Result<Attr> MakeNodeAt(InodeId parent, std::string_view name, FileType type,
                          std::string_view target, const NodeOptions& options);
  Status RemoveEntry(InodeId parent, std::string_view name, bool directory,
                     uint64_t expected_generation = 0);
  Status RemovePath(std::string_view path, bool directory, uint64_t expected_generation = 0);
  // Guards the path of directory `dir` and returns it.
  Result<std::string> GuardDirPath(Command& cmd, InodeId dir);
  // Drops the entry `victim` (reached via parent/name at `path`) from the
  // namespace inside `cmd`: unlink semantics for files, rmdir for dirs.
  Status DropEntry(Command& cmd, InodeId parent, const DirEntry& victim, std::string_view path,
                   bool touch_parent);
  Status BuildPublish(Command& cmd, const PublishRequest& request);
  Status BuildPublishToInode(Command& cmd, const PublishRequest& request);
  // Replaces the body of file `inode` (reached as `path`) in cmd.
  Status ReplaceBody(Command& cmd, const PublishRequest& request, InodeId inode,
                     const std::string& path);
  // Writes `attr` with the request's body (manifest, block references, the
  // event and index rows).
  Status WriteBody(Command& cmd, const PublishRequest& request, Attr attr, const std::string& path);
  // Walks to the directory that holds parts.back(), guarding every entry it
  // reads and (with options.parents) creating missing directories in `cmd`.
  Result<InodeId> WalkParents(Command& cmd, const std::vector<std::string>& parts,
                              const NodeOptions& options);
  InodeId AllocateInode();

  // Index maintenance inside a command (index.cc): reads are guarded, writes go
  // through cmd.index(). `manifest` nullptr with an empty `body`: the file became empty.
  Status IndexOnPublish(Command& cmd, std::string_view path, const Manifest* manifest,
                        std::optional<std::string_view> body);
  Status IndexOnRemove(Command& cmd, std::string_view path, bool directory);
  // `moved` is the entry that goes from `from` to `to`.
  Status IndexOnRename(Command& cmd, std::string_view from, std::string_view to,
                       const DirEntry& moved);
  Status IndexOnExchange(Command& cmd, std::string_view a, const DirEntry& at_a, std::string_view b,
                         const DirEntry& at_b);
  Result<std::string> ReadBody(const Manifest& manifest);
  // The rows `rules` give file `inode` at `path` (its current body).
  std::vector<StoredRow> ExtractFile(const std::vector<records::IndexRule>& rules,
                                     std::string_view path, InodeId inode);
  // The rows `rules` give the file at `path` with body `manifest` (nullptr: empty).
  std::vector<StoredRow> ExtractBody(const std::vector<records::IndexRule>& rules,
                                     std::string_view path, const Manifest* manifest);
  // The path of `inode` with its dentry chain guarded in `cmd` ("" when it has none).
  Result<std::string> GuardInodePath(Command& cmd, InodeId inode);
  // The active rules and the version of kIndexRulesKey they belong to.
  std::vector<records::IndexRule> ActiveRules(uint64_t* version);
  // Index administration (index_admin.cc).
  Status CommitRuleRecord(const RuleRecord& record, bool rules_changed, uint64_t* seq);
  Status ResumeRule(RuleRecord record);
  Status BackfillBatch(const records::IndexRule& rule, std::vector<std::string>* files,
                       std::string* cursor);
  void SetActiveRule(const records::IndexRule* rule, std::string_view id, uint64_t version);
  // Guards in `batch` that no directory exists at `path` and returns true, or false when
  // one does.
  bool GuardPathAbsent(std::string_view path, holt::Batch* batch);

  // Revives the collected blocks `cmd` adds references to, when their objects
  // exist again (guarded on the collected marker's version); Aborted with
  // kBlockCollected naming the first one whose object is missing.
  Status ReviveCollectedBlocks(Command& cmd);
  // Blocks uploaded before this time (ns) belong to no live upload.
  int64_t OrphanCutoff();
  void EndUpload(uint64_t id);
  friend class UploadLease;

  Status BackfillRule(const records::IndexRule& rule, std::string cursor);
  // Garbage collection passes (gc.cc), in order; a run with a plan is dry.
  struct GcRun;
  Status RunGc(GcRun& run);
  Status RetireExpiredSnapshots(GcRun& run);
  Status CollectHintedBlocks(GcRun& run, std::map<Digest, uint64_t>* held);
  Status CollectOutsideSnapshots(GcRun& run, const std::map<Digest, uint64_t>& held);
  Status SweepOrphans(GcRun& run);
  Status PruneHistory(GcRun& run);
  Status DropRuleRows(std::string_view rule_id);
  // fsck's repairs (fsck_repair.cc).
  Status FsckApply(FsckIssue& issue);
  Result<InodeId> LostAndFound();

  MetaOptions options_;
  std::unique_ptr<holt::Engine> engine_;
  ThreadPool read_pool_{2};  // block fetches for index extraction
  std::atomic<InodeId> next_inode_{2};

  mutable std::mutex rules_mu_;
  // Ready and back-filling rules, as of kIndexRulesKey version rules_version_; both
  // change only after the commit that changes the stored rule set.
  std::map<std::string, records::IndexRule> rules_;  // guarded by rules_mu_
  uint64_t rules_version_ = 0;                       // guarded by rules_mu_
  std::mutex index_admin_mu_;                        // one administration at a time
  std::function<void(size_t)> backfill_hook_;        // set before use, by tests

  std::mutex gc_mu_;                 // held for a whole CollectGarbage run (single flight)
  std::atomic<uint64_t> gc_run_{0};  // owner id of the running collection, 0 = none

  std::mutex uploads_mu_;
  uint64_t next_upload_ = 1;                   // guarded by uploads_mu_
  std::map<uint64_t, int64_t> upload_starts_;  // guarded by uploads_mu_: lease id -> start (ns)
};

}  // namespace nokv::meta
