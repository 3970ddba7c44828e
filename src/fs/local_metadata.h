// LocalMetadata: the metadata seam served by the metadata service
// in-process. Internal to src/fs (OpenEmbedded builds one); frontends reach it
// through Filesystem::metadata().
//
// Pins are ReadContexts held in a table until Unpin; upload leases are
// meta::UploadLeases held until EndUpload; verbs run in one query::Service
// per scope (root, snapshot, result bounds), made on first use.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "common/thread_pool.h"
#include "fs/metadata.h"
#include "meta/meta_service.h"
#include "object/object_store.h"
#include "query/service.h"

namespace nokv::fs {

class LocalMetadata final : public Metadata {
 public:
  // Opens the metadata service in `dir`. `store` (for GC deletes, index
  // back-fill and the verbs' reads) must outlive it; the verbs fetch blocks
  // on `io_threads` threads.
  static Result<std::unique_ptr<LocalMetadata>> Open(const std::string& dir,
                                                     meta::MetaOptions options,
                                                     object::ObjectStore* store, size_t io_threads);
  ~LocalMetadata() override;

  Result<Pin> PinRead(const ReadAt& at) override;
  void Unpin(uint64_t pin) override;

  Result<meta::Attr> Stat(std::string_view path, const ReadAt& at) override;
  Result<meta::Attr> GetAttr(meta::InodeId inode, const ReadAt& at) override;
  Result<meta::DirEntry> Lookup(meta::InodeId parent, std::string_view name,
                                const ReadAt& at) override;
  Result<meta::DirPage> ReadDir(meta::InodeId dir, std::string_view start_after, size_t limit,
                                bool with_attrs, const ReadAt& at) override;
  Result<meta::DirPage> List(std::string_view path, std::string_view start_after, size_t limit,
                             const ReadAt& at) override;
  Result<meta::Manifest> GetManifest(meta::InodeId inode, uint64_t generation,
                                     const ReadAt& at) override;
  Result<OpenedFile> OpenFile(std::string_view path, const ReadAt& at) override;
  Result<OpenedFile> OpenFileAt(meta::InodeId inode, const ReadAt& at) override;
  Result<std::string> GetXattr(meta::InodeId inode, std::string_view name,
                               const ReadAt& at) override;
  Result<std::vector<std::string>> ListXattrs(meta::InodeId inode, const ReadAt& at) override;
  Result<std::string> PathOf(meta::InodeId inode, const ReadAt& at) override;
  Result<meta::FsTotals> Totals() override;
  Result<MetadataStats> Stats() override;

  Result<meta::Attr> Mkdir(std::string_view path, const meta::NodeOptions& options) override;
  Result<meta::Attr> MkdirAt(meta::InodeId parent, std::string_view name,
                             const meta::NodeOptions& options) override;
  Result<meta::Attr> CreateAt(meta::InodeId parent, std::string_view name,
                              const meta::NodeOptions& options) override;
  Result<meta::Attr> Symlink(std::string_view path, std::string_view target,
                             const meta::NodeOptions& options) override;
  Result<meta::Attr> SymlinkAt(meta::InodeId parent, std::string_view name, std::string_view target,
                               const meta::NodeOptions& options) override;
  Result<meta::Attr> Link(std::string_view existing, std::string_view new_path) override;
  Result<meta::Attr> LinkAt(meta::InodeId inode, meta::InodeId new_parent,
                            std::string_view new_name) override;
  Status Unlink(std::string_view path, uint64_t expected_generation) override;
  Status UnlinkAt(meta::InodeId parent, std::string_view name) override;
  Status Rmdir(std::string_view path) override;
  Result<uint64_t> RemoveTree(std::string_view path) override;
  Status RmdirAt(meta::InodeId parent, std::string_view name) override;
  Status Rename(std::string_view from, std::string_view to, meta::RenameMode mode) override;
  Status RenameAt(meta::InodeId from_parent, std::string_view from_name, meta::InodeId to_parent,
                  std::string_view to_name, meta::RenameMode mode) override;
  Result<meta::Attr> SetAttr(std::string_view path, const meta::SetAttrRequest& req) override;
  Result<meta::Attr> SetAttrAt(meta::InodeId inode, const meta::SetAttrRequest& req) override;
  Status SetXattr(meta::InodeId inode, std::string_view name, std::string_view value,
                  meta::XattrMode mode) override;
  Status RemoveXattr(meta::InodeId inode, std::string_view name) override;

  Result<uint64_t> BeginUpload() override;
  void EndUpload(uint64_t lease) override;
  Result<std::vector<meta::Attr>> Publish(
      const std::vector<meta::PublishRequest>& requests) override;

  Result<meta::Snapshot> CreateSnapshot(std::string_view name, std::string_view root,
                                        int64_t expires_ns) override;
  Result<std::vector<meta::Snapshot>> ListSnapshots() override;
  Status RetireSnapshot(std::string_view name) override;
  Result<meta::Snapshot> RenewSnapshot(std::string_view name, int64_t expires_ns) override;

  Result<meta::EventPage> Watch(std::string_view path, std::string_view cursor, size_t limit,
                                std::chrono::milliseconds wait) override;
  Result<std::string> LatestCursor() override;

  Status AddIndexRule(const records::IndexRule& rule) override;
  Status RemoveIndexRule(std::string_view id) override;
  Result<std::vector<meta::RuleRecord>> IndexRuleRecords() override;
  Status Reindex(std::string_view id) override;
  Result<meta::IndexProblems> IndexRuleProblems(std::string_view id, size_t examples) override;

  Result<meta::GcReport> CollectGarbage() override;
  Result<meta::GcPlan> PlanGarbage() override;
  Result<meta::FsckReport> Fsck(const meta::FsckOptions& options) override;
  Result<BackupReport> Backup(const BackupOptions& options) override;
  Result<std::vector<BackupDescriptor>> ListBackups(std::string_view from) override;
  Result<meta::GcReport> ExpireAndPrune() override;
  Status Checkpoint() override;

  Status CheckVerbScope(const query::ServiceOptions& scope) override;
  nlohmann::json CallVerb(std::string_view verb, const nlohmann::json& args,
                          const query::ServiceOptions& scope,
                          const query::CallControl& control) override;

  // The service itself, for tests and in-process maintenance.
  meta::MetaService* service() { return meta_.get(); }

 private:
  LocalMetadata(object::ObjectStore* store, size_t io_threads)
      : store_(store), io_(std::max<size_t>(1, io_threads)) {}

  // The read point `at` names; null for the latest state (the service then
  // reads at its newest sequence).
  using Context = std::shared_ptr<const meta::ReadContext>;
  Result<Context> ContextFor(const ReadAt& at);
  Result<std::shared_ptr<query::Service>> VerbService(const query::ServiceOptions& scope);
  // Pins `at`, reads the file's attributes there with `attr_at` and its
  // manifest; `label` names the file in errors.
  Result<OpenedFile> Open(const std::string& label, const ReadAt& at,
                          const std::function<Result<meta::Attr>(const ReadAt&)>& attr_at);

  object::ObjectStore* store_;
  ThreadPool io_;  // block fetches of the verbs
  std::unique_ptr<meta::MetaService> meta_;

  std::mutex mu_;
  uint64_t next_id_ = 1;                           // guarded by mu_
  std::map<uint64_t, Context> pins_;               // guarded by mu_
  std::map<uint64_t, meta::UploadLease> uploads_;  // guarded by mu_
  using ScopeKey = std::tuple<std::string, std::string, size_t, size_t>;
  std::map<ScopeKey, std::shared_ptr<query::Service>> verbs_;  // guarded by mu_
};

}  // namespace nokv::fs
