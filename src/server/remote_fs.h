// Opening a Filesystem through a metadata server: metadata over RPC
// (RemoteMetadata), block bytes straight to and from the object store the
// server names (`meta.store`): the same S3 bucket, or the server's local
// object directory when this process can use it (same machine, same access).
// Otherwise, or when asked to, block bytes go through the server itself
// (ProxyStore over the `block.*` methods). The rule is in docs/cli.md,
// "Where block bytes go".
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
  // Move block bytes through the server even when its store is reachable
  // (tests; a client that sees the directory but must not write into it).
  // The environment variable NOKV_PROXY_BLOCKS=1 has the same effect.
  bool proxy_blocks = false;
};

// Connects to the server at `options.address`. Errors: those of
// RemoteMetadata::Connect; NotSupported when the server's store cannot be
// used from here and the server does not pass block bytes through itself, or
// its blocks are larger than kMaxBlockPutBytes and would have to.
Result<std::unique_ptr<fs::Filesystem>> OpenRemote(const RemoteFsOptions& options);

// The object store (and block size) a client of `metadata`'s server reads and
// writes blocks in, as Filesystem parts without the metadata.
// (`options` says how: its address, io threads and proxy_blocks).
Result<fs::FilesystemParts> RemoteStoreParts(RemoteMetadata* metadata,
                                             const RemoteFsOptions& options);

// What a server tells its clients about its object store and block size
// (the answer of `meta.store`; never credentials).
Json StoreInfo(const fs::EmbeddedOptions& options);

}  // namespace nokv::server
