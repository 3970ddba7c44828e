// EmbeddedFilesystem: opening a data directory and delegating to the
// metadata service, the object store and the verb service.
#include "fs/embedded.h"

#include "common/logging.h"
#include "fs/embedded_fs.h"
#include "meta/path.h"
#include "object/local_store.h"
#include "object/memory_store.h"
#include "object/s3_store.h"
#include "object/tiered_store.h"

namespace nokv::fs {
namespace {

constexpr std::string_view kMarker = "NOKV";
constexpr std::string_view kMarkerContents = "nokv data directory, format 1\n";

Result<std::unique_ptr<object::ObjectStore>> OpenStore(const EmbeddedOptions& options,
                                                       std::unique_ptr<object::ObjectStore>* cold) {
  std::string objects = JoinPath(options.data_dir, "objects");
  switch (options.store.kind) {
    case StoreConfig::Kind::kLocal: {
      NOKV_ASSIGN_OR_RETURN(auto local, object::LocalStore::Open(objects));
      return std::unique_ptr<object::ObjectStore>(std::move(local));
    }
    case StoreConfig::Kind::kMemory:
      return std::unique_ptr<object::ObjectStore>(new object::MemoryStore());
    case StoreConfig::Kind::kS3: {
      NOKV_ASSIGN_OR_RETURN(auto s3, object::S3Store::Open(options.store.s3));
      return std::unique_ptr<object::ObjectStore>(std::move(s3));
    }
    case StoreConfig::Kind::kTiered: {
      NOKV_ASSIGN_OR_RETURN(auto s3, object::S3Store::Open(options.store.s3));
      *cold = std::move(s3);
      object::TieredStoreOptions tiered;
      tiered.capacity_bytes = options.store.tiered_capacity_bytes;
      NOKV_ASSIGN_OR_RETURN(auto store, object::TieredStore::Open(cold->get(), objects, tiered));
      return std::unique_ptr<object::ObjectStore>(std::move(store));
    }
  }
  return Status::InvalidArgument("unknown object store kind");
}

}  // namespace

Status InitDataDir(const EmbeddedOptions& options) {
  Env* env = Env::Default();
  NOKV_RETURN_IF_ERROR(env->CreateDirs(options.data_dir));
  std::string marker = JoinPath(options.data_dir, kMarker);
  if (!env->FileExists(marker)) {
    NOKV_RETURN_IF_ERROR(env->WriteFileAtomically(marker, kMarkerContents));
  }
  EmbeddedOptions open = options;
  open.create_if_missing = true;
  NOKV_ASSIGN_OR_RETURN(auto fs, OpenEmbedded(open));
  return Status::Ok();
}

Result<std::unique_ptr<Filesystem>> OpenEmbedded(const EmbeddedOptions& options) {
  Env* env = Env::Default();
  std::string marker = JoinPath(options.data_dir, kMarker);
  if (!env->FileExists(marker)) {
    if (!options.create_if_missing) {
      return Status::NotFound(options.data_dir +
                              " is not a NoKV data directory (run `nokv init` first)");
    }
    NOKV_RETURN_IF_ERROR(env->CreateDirs(options.data_dir));
    NOKV_RETURN_IF_ERROR(env->WriteFileAtomically(marker, kMarkerContents));
  }
  std::unique_ptr<EmbeddedFilesystem> fs(new EmbeddedFilesystem(options));
  NOKV_ASSIGN_OR_RETURN(fs->store_, OpenStore(options, &fs->cold_store_));
  meta::MetaOptions meta_options;
  meta_options.engine.durability = options.durability;
  meta_options.store = fs->store_.get();
  NOKV_ASSIGN_OR_RETURN(fs->meta_,
                        meta::MetaService::Open(JoinPath(options.data_dir, "meta"), meta_options));
  fs->verbs_ = std::make_unique<query::Service>(fs->meta_.get(), fs->store_.get(), &fs->io_);
  return std::unique_ptr<Filesystem>(std::move(fs));
}

EmbeddedFilesystem::EmbeddedFilesystem(const EmbeddedOptions& options)
    : options_(options), io_(std::max<size_t>(1, options.io_threads)) {}

EmbeddedFilesystem::~EmbeddedFilesystem() {
  verbs_.reset();
  meta_.reset();
}

Result<meta::ReadContext> EmbeddedFilesystem::Context(const ReadAt& at) {
  if (at.snapshot.empty()) return meta_->Latest();
  return meta_->AtSnapshot(at.snapshot);
}

Result<meta::Attr> EmbeddedFilesystem::Stat(std::string_view path, const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(auto ctx, Context(at));
  return meta_->Stat(path, &ctx);
}

Result<meta::DirPage> EmbeddedFilesystem::List(std::string_view path, std::string_view start_after,
                                               size_t limit, const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(auto ctx, Context(at));
  NOKV_ASSIGN_OR_RETURN(meta::Attr attr, meta_->Stat(path, &ctx));
  if (attr.type != meta::FileType::kDirectory) {
    return Status::NotADirectory(std::string(path) + " is not a directory");
  }
  return meta_->ReadDir(attr.inode, start_after, limit, /*with_attrs=*/true, &ctx);
}

Result<meta::Attr> EmbeddedFilesystem::Mkdir(std::string_view path, bool parents) {
  meta::NodeOptions options;
  options.parents = parents;
  return meta_->Mkdir(path, options);
}

Status EmbeddedFilesystem::Remove(std::string_view path, bool recursive) {
  NOKV_ASSIGN_OR_RETURN(std::string normalized, meta::NormalizePath(path));
  if (normalized == "/") {
    // Like rm --preserve-root: checked before anything is removed.
    return Status::PermissionDenied("refusing to remove / (remove the entries under it instead)");
  }
  NOKV_ASSIGN_OR_RETURN(meta::Attr attr, meta_->Stat(path));
  if (attr.type != meta::FileType::kDirectory) return meta_->Unlink(path);
  if (!recursive || attr.child_count == 0) return meta_->Rmdir(path);
  // Children before their directory, a batch of entries per commit, one event per
  // batch's topmost entries (docs/metadata.md, Operations).
  return meta_->RemoveTree(normalized).status();
}

Status EmbeddedFilesystem::Rename(std::string_view from, std::string_view to,
                                  meta::RenameMode mode) {
  return meta_->Rename(from, to, mode);
}

Result<meta::Attr> EmbeddedFilesystem::Link(std::string_view existing, std::string_view new_path) {
  return meta_->Link(existing, new_path);
}

Result<meta::Attr> EmbeddedFilesystem::Symlink(std::string_view path, std::string_view target) {
  return meta_->Symlink(path, target);
}

Result<meta::Attr> EmbeddedFilesystem::SetAttr(std::string_view path,
                                               const meta::SetAttrRequest& req) {
  // Truncation to 0 is a metadata change; to any other size it needs new
  // bytes: the file is rewritten (kept prefix, zero fill) as a new generation.
  if (!req.size || *req.size == 0) return meta_->SetAttr(path, req);
  NOKV_ASSIGN_OR_RETURN(meta::Attr attr, meta_->Stat(path));
  if (attr.type != meta::FileType::kFile) {
    return Status::IsADirectory(std::string(path) + " is not a regular file");
  }
  if (*req.size != attr.size) NOKV_RETURN_IF_ERROR(Resize(path, attr, *req.size));
  meta::SetAttrRequest rest = req;
  rest.size.reset();
  return meta_->SetAttr(path, rest);
}

Status EmbeddedFilesystem::Resize(std::string_view path, const meta::Attr& attr, uint64_t size) {
  NOKV_ASSIGN_OR_RETURN(auto reader, OpenReader(path, {}));
  if (reader->attr().generation != attr.generation) {
    return Status::FailedPrecondition(std::string(path) + " changed during truncate; retry");
  }
  WriteOptions options;
  options.mode = meta::PublishMode::kReplaceIfGeneration;
  options.expected_generation = attr.generation;
  NOKV_ASSIGN_OR_RETURN(auto writer, OpenWriter(path, options));
  constexpr uint64_t kChunk = 4 << 20;
  std::string chunk;
  for (uint64_t pos = 0; pos < size; pos += chunk.size()) {
    uint64_t want = std::min(kChunk, size - pos);
    if (pos < attr.size) {
      NOKV_RETURN_IF_ERROR(reader->Read(pos, std::min(want, attr.size - pos), &chunk));
    } else {
      chunk.assign(want, '\0');  // zero blocks dedupe to one object
    }
    NOKV_RETURN_IF_ERROR(writer->Append(chunk));
  }
  return writer->Commit().status();
}

meta::FsTotals EmbeddedFilesystem::Totals() { return meta_->Totals(); }

Result<meta::Snapshot> EmbeddedFilesystem::CreateSnapshot(std::string_view name,
                                                          std::string_view root,
                                                          int64_t expires_ns) {
  return meta_->CreateSnapshot(name, root, expires_ns);
}

Result<std::vector<meta::Snapshot>> EmbeddedFilesystem::ListSnapshots() {
  return meta_->ListSnapshots();
}

Status EmbeddedFilesystem::RetireSnapshot(std::string_view name) {
  return meta_->RetireSnapshot(name);
}

Result<meta::Snapshot> EmbeddedFilesystem::RenewSnapshot(std::string_view name,
                                                         int64_t expires_ns) {
  return meta_->RenewSnapshot(name, expires_ns);
}

Result<meta::EventPage> EmbeddedFilesystem::Watch(std::string_view path, std::string_view cursor,
                                                  size_t limit, std::chrono::milliseconds wait) {
  return meta_->Watch(path, cursor, limit, wait);
}

Status EmbeddedFilesystem::AddIndexRule(const records::IndexRule& rule) {
  return meta_->AddIndexRule(rule);
}

Status EmbeddedFilesystem::RemoveIndexRule(std::string_view id) {
  return meta_->RemoveIndexRule(id);
}

std::vector<records::IndexRule> EmbeddedFilesystem::IndexRules() { return meta_->IndexRules(); }

Status EmbeddedFilesystem::Reindex(std::string_view id) { return meta_->Reindex(id); }

Result<meta::GcReport> EmbeddedFilesystem::CollectGarbage() { return meta_->CollectGarbage(); }

nlohmann::json EmbeddedFilesystem::CallVerb(std::string_view verb, const nlohmann::json& args,
                                            const query::CallControl& control) {
  return verbs_->Call(verb, args, control);
}

Result<std::unique_ptr<query::Service>> EmbeddedFilesystem::NewVerbService(
    const query::ServiceOptions& options) {
  NOKV_ASSIGN_OR_RETURN(meta::Attr root, meta_->Stat(options.root));
  if (root.type != meta::FileType::kDirectory) {
    return Status::NotADirectory(options.root + " is not a directory");
  }
  if (!options.snapshot.empty()) NOKV_RETURN_IF_ERROR(meta_->AtSnapshot(options.snapshot).status());
  return std::make_unique<query::Service>(meta_.get(), store_.get(), &io_, options);
}

}  // namespace nokv::fs
