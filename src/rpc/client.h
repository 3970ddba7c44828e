// rpc::Client: one connection to an rpc::Server, shared by many threads.
//
// Calls may be pipelined: any number of threads call at once, each request
// carries its own id, responses arrive in whatever order the server finishes
// them. A thread waiting in Call reads the socket itself while nobody else
// does, so a lone caller's round trip has no thread hand-off on the client;
// a background thread reads only while asynchronous calls are pending. A call
// past its deadline fails with TimedOut and the server is sent a cancel.
//
// Failure model: when the connection drops, every call in flight fails with
// Unavailable and so does every later call, until the caller asks for
// Reconnect(). The transport never retries: only the layer above knows
// whether a request is idempotent.
//
// Thread-safety: every method is thread-safe. A CallAsync callback runs on
// whichever thread is reading the socket (the background reader, or a thread
// inside Call), or on the calling thread when the call fails at once; it must
// not block, make a synchronous Call, call Reconnect or destroy the Client.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"
#include "rpc/address.h"
#include "rpc/wire.h"

namespace nokv::rpc {

struct ClientOptions {
  // Sent in the hello; required by a TCP server that has a token.
  std::string auth_token;
  // Largest response frame accepted; a larger one breaks the connection.
  uint32_t max_frame_bytes = kDefaultMaxFrameBytes;
  // Bound on connecting plus the handshake.
  std::chrono::milliseconds connect_timeout{5000};
};

// What the server's handler answered. A transport failure is not a Response:
// Call returns it as its error (Unavailable, TimedOut, TooLarge).
struct Response {
  Status status;
  std::string payload;
};

using Deadline = std::chrono::steady_clock::time_point;
using CallCallback = std::function<void(Result<Response>)>;

// A deadline `timeout` from now.
Deadline DeadlineIn(std::chrono::milliseconds timeout);

class ClientConnection;

class Client {
 public:
  // Connects and completes the handshake. `address` as in rpc/address.h.
  // Errors: InvalidArgument (address, port 0), Unavailable (nothing
  // listening), TimedOut, NotSupported (protocol version mismatch, naming
  // both versions), PermissionDenied (auth refused), Corruption (the peer is
  // not a NoKV RPC server).
  static Result<std::unique_ptr<Client>> Connect(std::string_view address,
                                                 ClientOptions options = {});
  static Result<std::unique_ptr<Client>> Connect(const Address& address,
                                                 ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request and waits for its response or `deadline`. Errors are
  // the transport's: Unavailable (connection lost, before or during the
  // call), TimedOut, TooLarge (the request exceeds the server's frame cap),
  // InvalidArgument (method longer than 255 bytes).
  Result<Response> Call(std::string_view method, std::string_view payload, Deadline deadline);
  // Same; fails with Cancelled (and sends the server a cancel, which sets
  // the request's Responder::cancelled()) soon after `*cancelled` is set.
  Result<Response> Call(std::string_view method, std::string_view payload, Deadline deadline,
                        const std::atomic<bool>* cancelled);

  // Same, without waiting: `done` runs exactly once with the outcome.
  void CallAsync(std::string_view method, std::string_view payload, Deadline deadline,
                 CallCallback done);

  // Replaces the connection with a new one (same address and options).
  // Calls in flight on the old connection fail with Unavailable.
  Status Reconnect();

  // False once the connection dropped (until Reconnect succeeds).
  bool connected() const;
  const Address& address() const { return address_; }

 private:
  Client(Address address, ClientOptions options)
      : address_(std::move(address)), options_(std::move(options)) {}
  std::shared_ptr<ClientConnection> Current() const;

  const Address address_;
  const ClientOptions options_;
  mutable std::mutex mu_;
  // Shared with callers in the middle of a call, so Reconnect can replace it
  // while they finish on the old one.
  std::shared_ptr<ClientConnection> connection_;  // guarded by mu_
};

}  // namespace nokv::rpc
