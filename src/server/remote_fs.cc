// OpenRemote: connect, ask the server where blocks live, open that store
// (or pass blocks through the server when this process cannot use it).
#include "server/remote_fs.h"

#include <unistd.h>

#include <cstdlib>

#include "common/env.h"
#include "object/local_store.h"
#include "object/s3_store.h"
#include "server/block_methods.h"
#include "server/proxy_store.h"

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

// True when this process may use the server's local object directory itself:
// it exists here and we may read, write and search it (a client on another
// machine sees no such path; one under another uid is refused access).
bool LocalDirectoryUsable(const std::string& path) {
  return Env::Default()->FileExists(path) && ::access(path.c_str(), R_OK | W_OK | X_OK) == 0;
}

bool ProxyForcedByEnvironment() {
  const char* value = std::getenv("NOKV_PROXY_BLOCKS");
  return value != nullptr && std::string_view(value) == "1";
}

Result<std::unique_ptr<object::ObjectStore>> OpenS3(ArgReader& a) {
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

Result<std::unique_ptr<object::ObjectStore>> OpenProxy(const RemoteFsOptions& options,
                                                       const Json& info, uint64_t block_size,
                                                       std::string_view why) {
  ArgReader a(info);
  if (!a.OptBool("proxy", false)) {
    return Status::NotSupported(std::string(why) +
                                ", and this server does not pass block bytes through itself");
  }
  if (block_size > kMaxBlockPutBytes) {
    return Status::NotSupported("the server's blocks (" + std::to_string(block_size) +
                                " bytes) are too large to pass through it (at most " +
                                std::to_string(kMaxBlockPutBytes) + ")");
  }
  ProxyStoreOptions proxy;
  proxy.client = options.remote.client;
  proxy.call_timeout = options.remote.call_timeout;
  NOKV_ASSIGN_OR_RETURN(auto store, ProxyStore::Connect(options.address, proxy));
  return std::unique_ptr<object::ObjectStore>(std::move(store));
}

// The store the server names in `info`, or the server itself as a proxy
// (docs/cli.md, "Where block bytes go").
Result<std::unique_ptr<object::ObjectStore>> OpenStoreFrom(const RemoteFsOptions& options,
                                                           const Json& info, uint64_t block_size) {
  ArgReader a(info);
  std::string kind = a.String("kind");
  NOKV_RETURN_IF_ERROR(a.status());
  if (options.proxy_blocks || ProxyForcedByEnvironment()) {
    return OpenProxy(options, info, block_size, "block bytes through the server were asked for");
  }
  if (kind == "local") {
    std::string path = a.String("path");
    NOKV_RETURN_IF_ERROR(a.status());
    if (!LocalDirectoryUsable(path)) {
      return OpenProxy(options, info, block_size,
                       "the server keeps blocks in its local directory " + path +
                           ", which this process cannot use");
    }
    NOKV_ASSIGN_OR_RETURN(auto local, object::LocalStore::Open(path));
    return std::unique_ptr<object::ObjectStore>(std::move(local));
  }
  if (kind == "s3") return OpenS3(a);
  return OpenProxy(options, info, block_size,
                   "the server's object store (" + kind + ") cannot be shared with clients");
}

}  // namespace

Result<fs::FilesystemParts> RemoteStoreParts(RemoteMetadata* metadata,
                                             const RemoteFsOptions& options) {
  NOKV_ASSIGN_OR_RETURN(Json info, metadata->StoreInfo());
  fs::FilesystemParts parts;
  ArgReader a(info);
  parts.block_size = a.OptU64("block_size", parts.block_size);
  NOKV_RETURN_IF_ERROR(a.status());
  if (parts.block_size == 0 || parts.block_size > (64ull << 20)) {
    return Status::InvalidArgument("the server named an unusable block size");
  }
  NOKV_ASSIGN_OR_RETURN(auto store, OpenStoreFrom(options, info, parts.block_size));
  parts.store = store.get();
  parts.stores.push_back(std::move(store));
  parts.io_threads = options.io_threads;
  return parts;
}

Result<std::unique_ptr<fs::Filesystem>> OpenRemote(const RemoteFsOptions& options) {
  NOKV_ASSIGN_OR_RETURN(auto metadata, RemoteMetadata::Connect(options.address, options.remote));
  NOKV_ASSIGN_OR_RETURN(fs::FilesystemParts parts, RemoteStoreParts(metadata.get(), options));
  parts.metadata = std::move(metadata);
  return std::make_unique<fs::Filesystem>(std::move(parts));
}

}  // namespace nokv::server
