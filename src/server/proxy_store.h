// ProxyStore: an object store whose bytes live in a metadata server's own
// store, reached through the server's `block.*` methods
// (server/block_methods.h, docs/formats/rpc.md "Block methods"). OpenRemote
// uses it when the server keeps blocks in a directory this client cannot
// reach (another machine) or must not use (another uid), or when asked to.
//
// It holds its own connection, so block transfers (megabytes a frame) never
// queue metadata calls behind them; any number of threads call at once and
// their requests are pipelined. Every method is idempotent (block keys name
// their content), so a call that finds the connection dropped reconnects and
// is retried once.
//
// Only block keys work (the server refuses others). Clients cannot delete:
// Delete and DeleteMany answer PermissionDenied (the server's garbage
// collector alone removes blocks), and List answers NotSupported.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "object/object_store.h"
#include "rpc/client.h"
#include "server/block_methods.h"
#include "server/codec.h"

namespace nokv::server {

struct ProxyStoreOptions {
  rpc::ClientOptions client;
  std::chrono::milliseconds call_timeout{120'000};
  // Bytes asked for per `block.get` (at most the server's kMaxBlockGetBytes).
  uint64_t get_chunk_bytes = kMaxBlockGetBytes;
  // Larger puts fail here with TooLarge, before anything is sent.
  uint64_t max_put_bytes = kMaxBlockPutBytes;
  // Keys per `block.sync` (at most the server's kMaxBlockSyncKeys).
  size_t sync_batch_keys = 4096;
};

class ProxyStore final : public object::ObjectStore {
 public:
  // Connects to the server at `address` (rpc/address.h forms). Errors as
  // rpc::Client::Connect.
  static Result<std::unique_ptr<ProxyStore>> Connect(std::string_view address,
                                                     ProxyStoreOptions options = {});

  using ObjectStore::Put;
  // InvalidArgument for a key that is not a block key, Corruption when the
  // bytes do not hash to it (both from the server), TooLarge above
  // max_put_bytes.
  Status Put(std::string_view key, std::string_view body,
             const object::PutOptions& options) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, object::ByteRange range) override;
  Result<object::ObjectInfo> Head(std::string_view key) override;
  Status Delete(std::string_view key) override;                                  // PermissionDenied
  Status DeleteMany(std::span<const std::string> keys) override;                 // PermissionDenied
  Result<object::ListResult> List(const object::ListOptions& options) override;  // NotSupported
  Status Sync(std::span<const std::string> keys) override;
  std::string Describe() const override;  // "proxy:<server address>"

 private:
  ProxyStore(std::unique_ptr<rpc::Client> client, ProxyStoreOptions options)
      : client_(std::move(client)), options_(std::move(options)) {}
  // One call, retried once on a fresh connection if the connection dropped.
  Result<Json> Invoke(std::string_view method, const Json& args);
  // Reconnects unless another thread already has.
  Status EnsureConnected();
  // Up to `length` bytes from `offset`, in get_chunk_bytes pieces; stops at
  // the object's end (a short piece).
  Result<std::string> Read(std::string_view key, uint64_t offset, uint64_t length);

  std::unique_ptr<rpc::Client> client_;
  const ProxyStoreOptions options_;
  std::mutex reconnect_mu_;  // one thread reconnects at a time
};

}  // namespace nokv::server
