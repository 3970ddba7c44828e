// LocalMetadata: read points, pins and upload leases over the in-process
// metadata service; every other call is a straight delegation.
#include "fs/local_metadata.h"

#include "meta/path.h"
#include "query/verb_error.h"

namespace nokv::fs {
namespace {

// Verb services kept at once; the oldest scope is dropped past this (its
// cursors then re-pin by sequence while the engine still retains it).
constexpr size_t kMaxVerbScopes = 64;

}  // namespace

Result<std::unique_ptr<LocalMetadata>> LocalMetadata::Open(const std::string& dir,
                                                           meta::MetaOptions options,
                                                           object::ObjectStore* store,
                                                           size_t io_threads) {
  std::unique_ptr<LocalMetadata> local(new LocalMetadata(store, io_threads));
  options.store = store;
  NOKV_ASSIGN_OR_RETURN(local->meta_, meta::MetaService::Open(dir, std::move(options)));
  return local;
}

LocalMetadata::~LocalMetadata() {
  // Everything that pins the engine goes before the service.
  verbs_.clear();
  pins_.clear();
  uploads_.clear();
  meta_.reset();
}

Result<LocalMetadata::Context> LocalMetadata::ContextFor(const ReadAt& at) {
  if (at.pin != 0) {
    std::lock_guard lock(mu_);
    auto it = pins_.find(at.pin);
    if (it == pins_.end()) {
      return Status::Expired("read pin " + std::to_string(at.pin) + " is not held");
    }
    return it->second;
  }
  if (at.snapshot.empty()) return Context();
  NOKV_ASSIGN_OR_RETURN(meta::ReadContext ctx, meta_->AtSnapshot(at.snapshot));
  return std::make_shared<const meta::ReadContext>(std::move(ctx));
}

Result<Pin> LocalMetadata::PinRead(const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(Context ctx, ContextFor(at));
  if (ctx == nullptr) ctx = std::make_shared<const meta::ReadContext>(meta_->Latest());
  std::lock_guard lock(mu_);
  uint64_t id = next_id_++;
  pins_.emplace(id, ctx);
  return Pin{id, ctx->seq()};
}

void LocalMetadata::Unpin(uint64_t pin) {
  Context doomed;  // released outside the lock
  std::lock_guard lock(mu_);
  if (auto it = pins_.find(pin); it != pins_.end()) {
    doomed = std::move(it->second);
    pins_.erase(it);
  }
}

Result<meta::Attr> LocalMetadata::Stat(std::string_view path, const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(Context ctx, ContextFor(at));
  return meta_->Stat(path, ctx.get());
}

Result<meta::Attr> LocalMetadata::GetAttr(meta::InodeId inode, const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(Context ctx, ContextFor(at));
  return meta_->GetAttr(inode, ctx.get());
}

Result<meta::DirEntry> LocalMetadata::Lookup(meta::InodeId parent, std::string_view name,
                                             const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(Context ctx, ContextFor(at));
  return meta_->Lookup(parent, name, ctx.get());
}

Result<meta::DirPage> LocalMetadata::ReadDir(meta::InodeId dir, std::string_view start_after,
                                             size_t limit, bool with_attrs, const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(Context ctx, ContextFor(at));
  return meta_->ReadDir(dir, start_after, limit, with_attrs, ctx.get());
}

Result<meta::DirPage> LocalMetadata::List(std::string_view path, std::string_view start_after,
                                          size_t limit, const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(Context ctx, ContextFor(at));
  if (ctx == nullptr) ctx = std::make_shared<const meta::ReadContext>(meta_->Latest());
  NOKV_ASSIGN_OR_RETURN(meta::Attr attr, meta_->Stat(path, ctx.get()));
  if (attr.type != meta::FileType::kDirectory) {
    return Status::NotADirectory(std::string(path) + " is not a directory");
  }
  return meta_->ReadDir(attr.inode, start_after, limit, /*with_attrs=*/true, ctx.get());
}

Result<meta::Manifest> LocalMetadata::GetManifest(meta::InodeId inode, uint64_t generation,
                                                  const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(Context ctx, ContextFor(at));
  return meta_->GetManifest(inode, generation, ctx.get());
}

Result<OpenedFile> LocalMetadata::OpenFile(std::string_view path, const ReadAt& at) {
  return Open(std::string(path), at, [&](const ReadAt& pinned) { return Stat(path, pinned); });
}

Result<OpenedFile> LocalMetadata::OpenFileAt(meta::InodeId inode, const ReadAt& at) {
  return Open("inode " + std::to_string(inode), at,
              [&](const ReadAt& pinned) { return GetAttr(inode, pinned); });
}

Result<OpenedFile> LocalMetadata::Open(
    const std::string& label, const ReadAt& at,
    const std::function<Result<meta::Attr>(const ReadAt&)>& attr_at) {
  NOKV_ASSIGN_OR_RETURN(Pin pin, PinRead(at));
  ReadAt pinned{at.snapshot, pin.id};
  auto opened = [&]() -> Result<OpenedFile> {
    NOKV_ASSIGN_OR_RETURN(meta::Attr attr, attr_at(pinned));
    if (attr.type == meta::FileType::kDirectory) {
      return Status::IsADirectory(label + " is a directory");
    }
    if (attr.type != meta::FileType::kFile) {
      return Status::InvalidArgument(label + " is not a regular file");
    }
    OpenedFile file{pin, std::move(attr), std::nullopt};
    if (auto manifest = GetManifest(file.attr.inode, file.attr.generation, pinned); manifest.ok()) {
      file.manifest = std::move(manifest).value();
    } else if (file.attr.size != 0) {
      return manifest.status();
    }
    return file;
  }();
  if (!opened.ok()) Unpin(pin.id);
  return opened;
}

Result<std::string> LocalMetadata::GetXattr(meta::InodeId inode, std::string_view name,
                                            const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(Context ctx, ContextFor(at));
  return meta_->GetXattr(inode, name, ctx.get());
}

Result<std::vector<std::string>> LocalMetadata::ListXattrs(meta::InodeId inode, const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(Context ctx, ContextFor(at));
  return meta_->ListXattrs(inode, ctx.get());
}

Result<std::string> LocalMetadata::PathOf(meta::InodeId inode, const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(Context ctx, ContextFor(at));
  return meta_->PathOf(inode, ctx.get());
}

Result<meta::FsTotals> LocalMetadata::Totals() { return meta_->Totals(); }

Result<MetadataStats> LocalMetadata::Stats() {
  holt::Stats engine = meta_->engine()->GetStats();
  MetadataStats stats;
  stats.keys = engine.keys;
  stats.visible_seq = engine.visible_seq;
  stats.wal_bytes = engine.wal_bytes;
  stats.checkpoint_seq = engine.checkpoint_seq;
  stats.wal_segments = engine.wal_segments;
  stats.wal_since_checkpoint_bytes = engine.wal_since_checkpoint_bytes;
  stats.checkpoint_unix_ns = engine.checkpoint_unix_ns;
  stats.checkpoints = engine.checkpoints;
  const holt::LatencyHistogram::Summary& commits = engine.commit_latency;
  stats.commit_latency = {commits.count,  commits.sum_ns, commits.p50_ns,
                          commits.p95_ns, commits.p99_ns, commits.max_ns};
  return stats;
}

Result<meta::Attr> LocalMetadata::Mkdir(std::string_view path, const meta::NodeOptions& options) {
  return meta_->Mkdir(path, options);
}

Result<meta::Attr> LocalMetadata::MkdirAt(meta::InodeId parent, std::string_view name,
                                          const meta::NodeOptions& options) {
  return meta_->MkdirAt(parent, name, options);
}

Result<meta::Attr> LocalMetadata::CreateAt(meta::InodeId parent, std::string_view name,
                                           const meta::NodeOptions& options) {
  return meta_->CreateAt(parent, name, options);
}

Result<meta::Attr> LocalMetadata::Symlink(std::string_view path, std::string_view target,
                                          const meta::NodeOptions& options) {
  return meta_->Symlink(path, target, options);
}

Result<meta::Attr> LocalMetadata::SymlinkAt(meta::InodeId parent, std::string_view name,
                                            std::string_view target,
                                            const meta::NodeOptions& options) {
  return meta_->SymlinkAt(parent, name, target, options);
}

Result<meta::Attr> LocalMetadata::Link(std::string_view existing, std::string_view new_path) {
  return meta_->Link(existing, new_path);
}

Result<meta::Attr> LocalMetadata::LinkAt(meta::InodeId inode, meta::InodeId new_parent,
                                         std::string_view new_name) {
  return meta_->LinkAt(inode, new_parent, new_name);
}

Status LocalMetadata::Unlink(std::string_view path, uint64_t expected_generation) {
  return meta_->Unlink(path, expected_generation);
}

Status LocalMetadata::UnlinkAt(meta::InodeId parent, std::string_view name) {
  return meta_->UnlinkAt(parent, name);
}

Status LocalMetadata::Rmdir(std::string_view path) { return meta_->Rmdir(path); }

Result<uint64_t> LocalMetadata::RemoveTree(std::string_view path) {
  return meta_->RemoveTree(path);
}

Status LocalMetadata::RmdirAt(meta::InodeId parent, std::string_view name) {
  return meta_->RmdirAt(parent, name);
}

Status LocalMetadata::Rename(std::string_view from, std::string_view to, meta::RenameMode mode) {
  return meta_->Rename(from, to, mode);
}

Status LocalMetadata::RenameAt(meta::InodeId from_parent, std::string_view from_name,
                               meta::InodeId to_parent, std::string_view to_name,
                               meta::RenameMode mode) {
  return meta_->RenameAt(from_parent, from_name, to_parent, to_name, mode);
}

Result<meta::Attr> LocalMetadata::SetAttr(std::string_view path, const meta::SetAttrRequest& req) {
  return meta_->SetAttr(path, req);
}

Result<meta::Attr> LocalMetadata::SetAttrAt(meta::InodeId inode, const meta::SetAttrRequest& req) {
  return meta_->SetAttrAt(inode, req);
}

Status LocalMetadata::SetXattr(meta::InodeId inode, std::string_view name, std::string_view value,
                               meta::XattrMode mode) {
  return meta_->SetXattr(inode, name, value, mode);
}

Status LocalMetadata::RemoveXattr(meta::InodeId inode, std::string_view name) {
  return meta_->RemoveXattr(inode, name);
}

Result<uint64_t> LocalMetadata::BeginUpload() {
  meta::UploadLease lease = meta_->BeginUpload();
  std::lock_guard lock(mu_);
  uint64_t id = next_id_++;
  uploads_.emplace(id, std::move(lease));
  return id;
}

void LocalMetadata::EndUpload(uint64_t lease) {
  meta::UploadLease doomed;
  std::lock_guard lock(mu_);
  if (auto it = uploads_.find(lease); it != uploads_.end()) {
    doomed = std::move(it->second);
    uploads_.erase(it);
  }
}

Result<std::vector<meta::Attr>> LocalMetadata::Publish(
    const std::vector<meta::PublishRequest>& requests) {
  return meta_->PublishMany(requests);
}

Result<meta::Snapshot> LocalMetadata::CreateSnapshot(std::string_view name, std::string_view root,
                                                     int64_t expires_ns) {
  return meta_->CreateSnapshot(name, root, expires_ns);
}

Result<std::vector<meta::Snapshot>> LocalMetadata::ListSnapshots() {
  return meta_->ListSnapshots();
}

Status LocalMetadata::RetireSnapshot(std::string_view name) { return meta_->RetireSnapshot(name); }

Result<meta::Snapshot> LocalMetadata::RenewSnapshot(std::string_view name, int64_t expires_ns) {
  return meta_->RenewSnapshot(name, expires_ns);
}

Result<meta::EventPage> LocalMetadata::Watch(std::string_view path, std::string_view cursor,
                                             size_t limit, std::chrono::milliseconds wait) {
  return meta_->Watch(path, cursor, limit, wait);
}

Result<std::string> LocalMetadata::LatestCursor() { return meta_->LatestCursor(); }

Status LocalMetadata::AddIndexRule(const records::IndexRule& rule) {
  return meta_->AddIndexRule(rule);
}

Status LocalMetadata::RemoveIndexRule(std::string_view id) { return meta_->RemoveIndexRule(id); }

Result<std::vector<meta::RuleRecord>> LocalMetadata::IndexRuleRecords() {
  return meta_->IndexRuleRecords();
}

Status LocalMetadata::Reindex(std::string_view id) { return meta_->Reindex(id); }
Result<meta::IndexProblems> LocalMetadata::IndexRuleProblems(std::string_view id, size_t examples) {
  return meta_->IndexRuleProblems(id, examples);
}

Result<meta::GcReport> LocalMetadata::CollectGarbage() { return meta_->CollectGarbage(); }
Result<meta::GcPlan> LocalMetadata::PlanGarbage() { return meta_->PlanGarbage(); }

Result<meta::FsckReport> LocalMetadata::Fsck(const meta::FsckOptions& options) {
  return meta_->Fsck(options);
}

Result<BackupReport> LocalMetadata::Backup(const BackupOptions& options) {
  if (options.to.empty()) return RunBackup(*meta_, *store_, options);
  NOKV_ASSIGN_OR_RETURN(auto target, OpenBackupDirectory(options.to));
  return RunBackup(*meta_, *target, options);
}

Result<std::vector<BackupDescriptor>> LocalMetadata::ListBackups(std::string_view from) {
  if (from.empty()) return ListBackupImages(*store_);
  NOKV_ASSIGN_OR_RETURN(auto store, OpenBackupDirectory(from));
  return ListBackupImages(*store);
}

Result<meta::GcReport> LocalMetadata::ExpireAndPrune() { return meta_->ExpireAndPrune(); }

Status LocalMetadata::Checkpoint() { return meta_->engine()->Checkpoint(); }

Status LocalMetadata::CheckVerbScope(const query::ServiceOptions& scope) {
  return VerbService(scope).status();
}

Result<std::shared_ptr<query::Service>> LocalMetadata::VerbService(
    const query::ServiceOptions& scope) {
  NOKV_ASSIGN_OR_RETURN(std::string root, meta::NormalizePath(scope.root));
  ScopeKey key{root, scope.snapshot, scope.default_max_result_bytes, scope.hard_max_result_bytes};
  {
    std::lock_guard lock(mu_);
    if (auto it = verbs_.find(key); it != verbs_.end()) return it->second;
  }
  NOKV_ASSIGN_OR_RETURN(meta::Attr attr, meta_->Stat(root));
  if (attr.type != meta::FileType::kDirectory) {
    return Status::NotADirectory(root + " is not a directory");
  }
  if (!scope.snapshot.empty()) NOKV_RETURN_IF_ERROR(meta_->AtSnapshot(scope.snapshot).status());
  query::ServiceOptions options = scope;
  options.root = root;
  auto service = std::make_shared<query::Service>(meta_.get(), store_, &io_, options);
  std::lock_guard lock(mu_);
  auto [it, inserted] = verbs_.emplace(key, service);
  if (inserted && verbs_.size() > kMaxVerbScopes) {
    verbs_.erase(verbs_.begin() == it ? std::next(verbs_.begin()) : verbs_.begin());
  }
  return it->second;
}

nlohmann::json LocalMetadata::CallVerb(std::string_view verb, const nlohmann::json& args,
                                       const query::ServiceOptions& scope,
                                       const query::CallControl& control) {
  auto service = VerbService(scope);
  if (!service.ok()) return query::FromStatus(service.status()).ToJson();
  return (*service)->Call(verb, args, control);
}

}  // namespace nokv::fs
