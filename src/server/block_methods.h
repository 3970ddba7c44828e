// Block bytes over RPC: the `block.*` methods a server answers against its
// own object store, for clients that cannot (or must not) reach that store
// themselves (docs/formats/rpc.md, "Block methods"; server/proxy_store.h is
// the client side).
//
// Only block keys (object/block.h, `blocks/xx/<sha-256 hex>`) are served, so
// a client reaches nothing in the store but blocks, and a put is stored only
// when its bytes hash to its key: the server trusts no client's key. There is
// no delete: blocks leave the store only through the server's garbage
// collector, which knows what the metadata references.
//
// Thread-safety: the methods run concurrently from any number of threads
// (object stores are thread-safe).
#pragma once

#include <cstddef>
#include <cstdint>

#include "object/object_store.h"
#include "server/methods.h"

namespace nokv::server {

// The largest block a client may put (a frame carries it whole: it must stay
// well inside the default 64 MiB frame cap). OpenRemote refuses to proxy a
// store whose block size is larger.
inline constexpr uint64_t kMaxBlockPutBytes = uint64_t{32} << 20;
// The most bytes one `block.get` answers; larger reads take several.
inline constexpr uint64_t kMaxBlockGetBytes = uint64_t{16} << 20;
// The most keys one `block.sync` names.
inline constexpr size_t kMaxBlockSyncKeys = 65536;

struct BlockMethodOptions {
  uint64_t max_put_bytes = kMaxBlockPutBytes;
  uint64_t max_get_bytes = kMaxBlockGetBytes;
  size_t max_sync_keys = kMaxBlockSyncKeys;
};

// Adds `block.get`, `block.put`, `block.head` and `block.sync`, answered
// against `store` (which must outlive the MetadataMethods built from
// `options`), to `options->extra_methods`, and sets `proxy: true` in
// `options->store_info` (creating `{kind: "proxy"}` when the server does not
// otherwise share its store) so clients know they may move blocks through
// the server.
void AddBlockMethods(object::ObjectStore* store, MethodOptions* options,
                     BlockMethodOptions limits = {});

}  // namespace nokv::server
