// OpenRemote: connect, ask the server where blocks live, open that store.
#include "server/remote_fs.h"

#include "common/env.h"
#include "object/local_store.h"
#include "object/s3_store.h"

namespace nokv::server {

Json StoreInfo(const fs::EmbeddedOptions& options) {
  Json info = {{"block_size", options.block_size}};
  switch (options.store.kind) {
    case fs::StoreConfig::Kind::kLocal: {
      std::string dir = options.data_dir + "/objects";
      char resolved[PATH_MAX];
      info["kind"] = "local";
      info["path"] = ::realpath(dir.c_str(), resolved) != nullptr ? std::string(resolved) : dir;
      break;
    }
    case fs::StoreConfig::Kind::kS3:
    case fs::StoreConfig::Kind::kTiered: {
      // Tiered: clients share the cold tier; the hot tier is the server's cache.
      const object::S3Options& s3 = options.store.s3;
      info["kind"] = "s3";
      info["endpoint"] = s3.endpoint;
      info["bucket"] = s3.bucket;
      info["region"] = s3.region;
      info["prefix"] = s3.key_prefix;
      info["path_style"] = s3.path_style;
      break;
    }
    case fs::StoreConfig::Kind::kMemory:
      info["kind"] = "memory";
      break;
  }
  return info;
}

namespace {

Result<std::unique_ptr<object::ObjectStore>> OpenStoreFrom(const Json& info) {
  ArgReader a(info);
  std::string kind = a.String("kind");
  NOKV_RETURN_IF_ERROR(a.status());
  if (kind == "local") {
    std::string path = a.String("path");
    NOKV_RETURN_IF_ERROR(a.status());
    if (!Env::Default()->FileExists(path)) {
      return Status::NotSupported("the server keeps blocks in its local directory " + path +
                                  ", which this machine cannot reach; run the server on a "
                                  "shared (S3) store to use it from other machines");
    }
    NOKV_ASSIGN_OR_RETURN(auto local, object::LocalStore::Open(path));
    return std::unique_ptr<object::ObjectStore>(std::move(local));
  }
  if (kind == "s3") {
    object::S3Options s3 = object::S3Options::FromEnvironment();  // credentials are ours
    s3.endpoint = a.OptString("endpoint");
    s3.bucket = a.String("bucket");
    s3.region = a.OptString("region");
    s3.key_prefix = a.OptString("prefix");
    s3.path_style = a.OptBool("path_style", true);
    NOKV_RETURN_IF_ERROR(a.status());
    NOKV_ASSIGN_OR_RETURN(auto store, object::S3Store::Open(s3));
    return std::unique_ptr<object::ObjectStore>(std::move(store));
  }
  return Status::NotSupported("the server's object store (" + kind +
                              ") cannot be shared with clients");
}

}  // namespace

Result<fs::FilesystemParts> RemoteStoreParts(RemoteMetadata* metadata, size_t io_threads) {
  NOKV_ASSIGN_OR_RETURN(Json info, metadata->StoreInfo());
  fs::FilesystemParts parts;
  NOKV_ASSIGN_OR_RETURN(auto store, OpenStoreFrom(info));
  parts.store = store.get();
  parts.stores.push_back(std::move(store));
  ArgReader a(info);
  parts.block_size = a.OptU64("block_size", parts.block_size);
  NOKV_RETURN_IF_ERROR(a.status());
  if (parts.block_size == 0 || parts.block_size > (64ull << 20)) {
    return Status::InvalidArgument("the server named an unusable block size");
  }
  parts.io_threads = io_threads;
  return parts;
}

Result<std::unique_ptr<fs::Filesystem>> OpenRemote(const RemoteFsOptions& options) {
  NOKV_ASSIGN_OR_RETURN(auto metadata, RemoteMetadata::Connect(options.address, options.remote));
  NOKV_ASSIGN_OR_RETURN(fs::FilesystemParts parts,
                        RemoteStoreParts(metadata.get(), options.io_threads));
  parts.metadata = std::move(metadata);
  return std::make_unique<fs::Filesystem>(std::move(parts));
}

}  // namespace nokv::server
