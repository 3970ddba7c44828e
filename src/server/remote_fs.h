// Opening a Filesystem through a metadata server: metadata over RPC
// (RemoteMetadata), block bytes straight to and from the object store the
// server names (`meta.store`): the same S3 bucket, or the server's local
// object directory when this client can reach it (same machine).
#pragma once

#include <memory>
#include <string>

#include "fs/embedded.h"
#include "fs/filesystem.h"
#include "server/codec.h"
#include "server/remote_metadata.h"

namespace nokv::server {

struct RemoteFsOptions {
  std::string address;  // rpc/address.h forms: unix:/path, /path.sock, host:port
  RemoteOptions remote;
  size_t io_threads = 16;
};

Result<std::unique_ptr<fs::Filesystem>> OpenRemote(const RemoteFsOptions& options);

// The object store (and block size) a client of `metadata`'s server reads and
// writes blocks in, as Filesystem parts without the metadata.
Result<fs::FilesystemParts> RemoteStoreParts(RemoteMetadata* metadata, size_t io_threads);

// What a server tells its clients about its object store and block size
// (the answer of `meta.store`; never credentials).
Json StoreInfo(const fs::EmbeddedOptions& options);

}  // namespace nokv::server
