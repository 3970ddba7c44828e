// The server side of `nokv-bench rpc`: a data directory opened embedded (local
// object store) and served over framed RPC on a Unix socket and loopback TCP,
// dispatched as `nokv serve` does (cheap methods on the event loop), plus the
// raw ping-pong probe that gives the loopback round-trip ceiling.
//
// Thread-safety: Start/Stop from one thread; the addresses are read-only after.
#pragma once

#include <memory>
#include <string>

#include "bench/common/harness.h"
#include "fs/embedded.h"
#include "rpc/address.h"
#include "rpc/server.h"
#include "server/methods.h"

namespace nokv::bench {

class ServedFs {
 public:
  // Opens (creating) the data directory `dir` at `durability` and serves it.
  static Result<std::unique_ptr<ServedFs>> Start(const std::string& dir, fs::Durability durability);
  ~ServedFs();

  const rpc::Address& unix_address() const { return unix_; }
  const rpc::Address& tcp_address() const { return tcp_; }
  fs::Durability durability() const { return durability_; }

 private:
  ServedFs() = default;
  fs::Durability durability_ = fs::Durability::kSync;
  std::unique_ptr<fs::Filesystem> fs_;
  std::unique_ptr<server::MetadataMethods> methods_;
  std::unique_ptr<rpc::Server> rpc_;
  rpc::Address unix_;
  rpc::Address tcp_;
};

// 1-byte ping-pong round trips per second over `transport` ("unix" sockets
// under `dir`, or loopback "tcp"), `threads` connections each with an echo
// thread, for `window`: the ceiling an RPC round trip is compared against.
Result<Trial> PingPong(const std::string& transport, const std::string& dir, int threads,
                       std::chrono::milliseconds window);

}  // namespace nokv::bench
