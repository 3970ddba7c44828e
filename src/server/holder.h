// Holder: serves a data directory this process holds to every other process.
//
// The process that holds a data directory (its engine lock) and runs for a
// while (`nokv serve`, `nokv mcp`, `nokv watch --follow`, a mount, the
// Python binding) answers the metadata methods (server/methods.h) on
// <data-dir>/nokv.sock, and on any TCP listeners it is given. Every other
// process then goes through that socket instead of waiting for the lock
// (server/shared.h; docs/cli.md, "Sharing a data directory").
//
// Thread-safety: Stop and the accessors may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fs/metadata.h"
#include "object/object_store.h"
#include "rpc/server.h"
#include "server/maintenance.h"
#include "server/methods.h"

namespace nokv::server {

// The socket a data directory's holder listens on.
inline constexpr char kSocketName[] = "nokv.sock";
std::string SocketPath(std::string_view data_dir);

struct HolderOptions {
  std::string unix_path;            // "" = SocketPath(data_dir)
  std::vector<std::string> listen;  // more listeners (rpc/address.h forms)
  rpc::ServerOptions rpc;
  MethodOptions methods;
  // The background jobs (GC, retention, idle checkpoints) the holder runs
  // while it serves; intervals of 0 turn them off.
  MaintenanceOptions maintenance;
};

class Holder {
 public:
  // Listens and starts answering for `metadata` (the meta.* methods) and
  // `store` (the block.* methods, for clients that cannot use the store
  // themselves), which must outlive the Holder. A stale socket left by a
  // holder that died is replaced; a live one is AlreadyExists.
  static Result<std::unique_ptr<Holder>> Start(std::string_view data_dir, fs::Metadata* metadata,
                                               object::ObjectStore* store, HolderOptions options);
  ~Holder();  // Stop()
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;

  // Stops accepting, drains the requests in flight, removes the socket and
  // stops the background jobs (after the one in progress). Idempotent.
  void Stop();

  // Where it listens (the real port for a TCP port 0).
  const std::vector<rpc::Address>& addresses() const { return addresses_; }
  MetadataMethods* methods() { return methods_.get(); }
  rpc::Server* rpc() { return rpc_.get(); }
  const Maintenance* maintenance() const { return maintenance_.get(); }

 private:
  Holder() = default;

  std::unique_ptr<MetadataMethods> methods_;
  std::unique_ptr<Maintenance> maintenance_;
  std::unique_ptr<rpc::Server> rpc_;  // last: stops first
  std::vector<rpc::Address> addresses_;
};

}  // namespace nokv::server
