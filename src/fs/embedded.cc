// EmbeddedFilesystem: opening a data directory and delegating to the
// metadata service, the object store and the verb service.
#include "fs/embedded.h"

#include "common/logging.h"
#include "fs/data_dir.h"
#include "fs/local_metadata.h"
#include "holt/reserve.h"
#include "meta/path.h"
#include "object/counting_store.h"
#include "object/local_store.h"
#include "object/memory_store.h"
#include "object/s3_store.h"
#include "object/tiered_store.h"

namespace nokv::fs {
namespace {

constexpr std::string_view kMarker = kDataDirMarker;
constexpr std::string_view kMarkerContents = "nokv data directory, format 1\n";

Result<std::unique_ptr<object::ObjectStore>> OpenStore(const EmbeddedOptions& options,
                                                       std::unique_ptr<object::ObjectStore>* cold) {
  // (The local directory is created here for local and tiered stores.)
  std::string objects = JoinPath(options.data_dir, "objects");
  switch (options.store.kind) {
    case StoreConfig::Kind::kLocal: {
      object::LocalStoreOptions local_options;
      local_options.read_only = options.read_only;
      NOKV_ASSIGN_OR_RETURN(auto local, object::LocalStore::Open(objects, local_options));
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

holt::Durability ToEngine(Durability durability) {
  switch (durability) {
    case Durability::kSync:
      return holt::Durability::kSync;
    case Durability::kGroup:
      return holt::Durability::kGroup;
    case Durability::kNone:
      return holt::Durability::kNone;
  }
  return holt::Durability::kSync;
}

}  // namespace

Result<OpenedStore> OpenObjectStore(const EmbeddedOptions& options) {
  OpenedStore opened;
  NOKV_ASSIGN_OR_RETURN(opened.store, OpenStore(options, &opened.cold));
  return opened;
}

Status InitDataDir(const EmbeddedOptions& options) {
  Env* env = Env::Default();
  NOKV_RETURN_IF_ERROR(CreateDataDir(options.data_dir));
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
  NOKV_ASSIGN_OR_RETURN(FilesystemParts parts, OpenEmbeddedParts(options));
  return std::make_unique<Filesystem>(std::move(parts));
}

Result<FilesystemParts> OpenEmbeddedParts(const EmbeddedOptions& options) {
  Env* env = Env::Default();
  std::string marker = JoinPath(options.data_dir, kMarker);
  if (!env->FileExists(marker)) {
    if (!options.create_if_missing || options.read_only) {
      return Status::NotFound(options.data_dir +
                              " is not a NoKV data directory (run `nokv init` first)");
    }
    NOKV_RETURN_IF_ERROR(CreateDataDir(options.data_dir));
    NOKV_RETURN_IF_ERROR(env->WriteFileAtomically(marker, kMarkerContents));
  }
  std::string meta_dir = JoinPath(options.data_dir, "meta");
  // Before the store opens: claiming its temp directory takes space too.
  if (options.release_reserve && !options.read_only) {
    NOKV_RETURN_IF_ERROR(holt::ReleaseReserve(env, meta_dir));
  }
  FilesystemParts parts;
  NOKV_ASSIGN_OR_RETURN(OpenedStore opened, OpenObjectStore(options));
  if (opened.cold) parts.stores.push_back(std::move(opened.cold));
  std::unique_ptr<object::ObjectStore> store = std::move(opened.store);
  // Everything that reaches the store (writers, readers, the collector, the
  // verbs) goes through the counter: Filesystem::store()->Stats().
  auto counting = std::make_unique<object::CountingStore>(store.get());
  parts.stores.push_back(std::move(store));
  parts.store = counting.get();
  parts.stores.push_back(std::move(counting));
  meta::MetaOptions meta_options;
  meta_options.engine.durability = ToEngine(options.durability);
  meta_options.engine.read_only = options.read_only;
  meta_options.engine.reserve_bytes = kReserveBytes;
  meta_options.engine.release_reserve = options.release_reserve;
  if (options.watch_retention_events) {
    meta_options.watch_retention_events = *options.watch_retention_events;
  }
  if (options.watch_retention_age) meta_options.watch_retention_age = *options.watch_retention_age;
  if (options.orphan_grace) meta_options.orphan_grace = *options.orphan_grace;
  NOKV_ASSIGN_OR_RETURN(
      parts.metadata, LocalMetadata::Open(meta_dir, meta_options, parts.store, options.io_threads));
  parts.io_threads = options.io_threads;
  parts.block_size = options.block_size;
  return parts;
}

}  // namespace nokv::fs
