// rpc::Server: serves framed RPC (docs/formats/rpc.md) on any number of TCP
// and Unix-socket listeners.
//
// One event-loop thread owns every socket (epoll); a fixed pool of worker
// threads runs the handler. There is no thread per connection. A client may
// pipeline many requests; responses go back in completion order, matched by
// request id. A handler answers through its Responder exactly once, from any
// thread, at any later time, so a long poll parks its Responder instead of a
// worker.
//
// Limits (ServerOptions) protect the server from its clients: a frame cap
// checked on the header before allocating, an in-flight cap per connection
// and a cap on queued response bytes (both pause reading that connection:
// backpressure, not an error), a connection cap, a handshake timeout (a
// client that never finishes its hello is closed) and an idle timeout.
//
// Auth: a TCP connection must present ServerOptions::auth_token in its hello
// when one is set, and a TCP listener on a non-loopback address refuses to
// start without one. Unix sockets are created 0600 and need no token. The
// token never appears in logs, errors or Stats().
//
// Thread-safety: Listen and Start from one thread before serving; Stop,
// Stats and the destructor from any thread but not concurrently with Listen
// or Start. The handler runs on worker threads, concurrently with itself,
// and on the event-loop thread for methods ServerOptions::run_inline picks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "rpc/address.h"
#include "rpc/wire.h"

namespace nokv::rpc {

struct ServerOptions {
  // Required in the hello of TCP connections when non-empty; required to
  // listen on a non-loopback TCP address. See rpc/auth.h to load one.
  std::string auth_token;
  // Threads that run the handler. 0 runs it on the event-loop thread itself:
  // the fastest round trip, for handlers that never block (a blocking one
  // stalls every connection).
  size_t worker_threads = 8;
  // Which requests skip the workers and run on the event-loop thread, by
  // method name: for cheap handlers that answer at once and never block on
  // I/O or a lock held across I/O (a blocking one stalls every connection).
  // The rest still go to the workers, so an inline method is never queued
  // behind a slow one. Called on the loop thread; null = none.
  std::function<bool(std::string_view method)> run_inline;
  // Largest frame accepted or sent, header included.
  uint32_t max_frame_bytes = kDefaultMaxFrameBytes;
  // Requests one connection may have in the handler at once; at the cap the
  // server stops reading that connection until one is answered.
  size_t max_in_flight_per_connection = 128;
  // Response bytes waiting to be written to one connection above which the
  // server stops reading its requests (a client that does not read).
  size_t max_queued_response_bytes = size_t{64} << 20;
  // Connections open at once, handshaking ones included; more are accepted
  // and closed at once.
  size_t max_connections = 4096;
  // A connection that has not completed its hello by then is closed.
  std::chrono::milliseconds handshake_timeout{5000};
  // A connection with nothing in flight and no bytes received for this long
  // is closed.
  std::chrono::milliseconds idle_timeout{300'000};
  // How long Stop waits for in-flight requests before closing anyway.
  std::chrono::milliseconds stop_timeout{10'000};
  int listen_backlog = 4096;
};

// What a handler knows about the connection a request came on.
struct PeerInfo {
  uint64_t connection_id = 0;
  Transport transport = Transport::kTcp;
  std::string peer;            // "ip:port" (TCP) or "pid N uid N" (Unix)
  int64_t uid = -1;            // the Unix peer's uid, -1 for TCP
  bool authenticated = false;  // presented the configured token (TCP with a token)
};

struct Request {
  uint64_t id = 0;
  std::string method;
  std::string payload;
  // Shared by every request of one connection; never null.
  std::shared_ptr<const PeerInfo> peer;
};

namespace internal {
struct ReplyState;
}

// Answers one request. Copyable; all copies share one answer: the first
// Respond wins, later ones are ignored. If every copy is destroyed without a
// Respond, the client gets Aborted ("the handler dropped the request").
// Thread-safe. Respond never blocks on the network.
class Responder {
 public:
  explicit Responder(std::shared_ptr<internal::ReplyState> state) : state_(std::move(state)) {}

  // Sends `status` and `payload` (ignored by most callers when !status.ok()).
  // A payload that would exceed the frame cap is replaced by TooLarge.
  void Respond(const Status& status, std::string payload = {});

  // True once the client sent a cancel for this request, the connection
  // closed or the server began to stop: a long poll should answer now.
  bool cancelled() const;
  // Runs `callback` once when cancelled() becomes true (at once if it is).
  // It runs on the event-loop thread or the caller's: keep it short.
  void OnCancel(std::function<void()> callback);

 private:
  std::shared_ptr<internal::ReplyState> state_;
};

using Handler = std::function<void(Request request, Responder responder)>;

// Counters since Start; a snapshot, each value read atomically.
struct ServerStats {
  uint64_t connections_open = 0;
  uint64_t connections_total = 0;     // accepted, refused ones included
  uint64_t connections_rejected = 0;  // over max_connections
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t requests_in_flight = 0;
  uint64_t protocol_errors = 0;  // bad hello, bad frame, oversized frame, truncated stream
  uint64_t auth_failures = 0;
  uint64_t handshake_timeouts = 0;
  uint64_t handshakes_evicted = 0;  // closed unfinished to admit a client at max_connections
  uint64_t idle_timeouts = 0;
  uint64_t reads_paused = 0;  // times a connection hit a backpressure limit
};

class EventLoop;

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds a listener before Start; returns the bound address (the real port
  // for port 0). FailedPrecondition for a non-loopback TCP address without
  // an auth token or after Start; AlreadyExists for a live Unix socket.
  Result<Address> Listen(const Address& address);
  Result<Address> Listen(std::string_view address);

  // Starts the event loop and the workers. FailedPrecondition when called
  // twice or with no listener; InvalidArgument for a zero in-flight or
  // connection cap, or a frame cap under 1 KiB.
  Status Start();

  // Stops accepting, stops reading requests, marks in-flight requests
  // cancelled, waits up to stop_timeout for their responses to be written,
  // then closes every connection and removes the Unix socket files.
  // Idempotent.
  void Stop();

  ServerStats Stats() const;

 private:
  std::unique_ptr<EventLoop> loop_;
};

}  // namespace nokv::rpc
