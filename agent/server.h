// Server: one MCP session over newline-delimited JSON-RPC 2.0 (docs/mcp.md).
//
// Run() reads lines on the calling thread and answers cheap methods
// (initialize, ping, tools/list, resources/templates/list) there at once, so
// ping is answered while verbs run; tools/call, resources/list and
// resources/read run on a pool of worker threads. Each in-flight request has
// a cancel flag that notifications/cancelled sets; a cancelled request gets
// no response (MCP cancellation rules). Progress notifications are sent when
// the request carries params._meta.progressToken. A client that offers
// roots is asked for them; every tool and resource call is then confined to
// those roots within options.root (VerbBackend::Call).
//
// Thread-safety: one Run() per Server at a time; Connect() from any thread,
// any number of connections at once. The backend and the sink
// must be thread-safe (they are used from the worker threads).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/backend.h"
#include "agent/json_rpc.h"
#include "agent/stdio.h"
#include "agent/tools.h"
#include "common/status.h"

namespace nokv::agent {

// Why a server could not start: a missing or busy data directory, a bad
// flag, an unreachable --server.
struct StartupFailure {
  std::string message;  // what failed ("/d is not a NoKV data directory ...")
  std::string hint;     // how to fix it ("" = none)
};

struct ServerOptions {
  std::string version;               // serverInfo.version ("" = the build's)
  std::string root = "/";            // scope of resources/list
  size_t worker_threads = 4;         // verbs running at once
  size_t max_line_bytes = 4u << 20;  // longer input lines are refused
  // Least time between two progress notifications of one request.
  std::chrono::milliseconds progress_interval{100};
  // After end of input (the client's way to shut a stdio server down),
  // requests in flight get this long to finish and are then cancelled.
  std::chrono::milliseconds shutdown_grace{2000};
  // A client that declares the roots capability is asked for its roots
  // (roots/list) after notifications/initialized and after each
  // notifications/roots/list_changed; tools and resources calls wait this
  // long for the answer and are then refused (an empty root set).
  std::chrono::milliseconds roots_timeout{10000};
  // Ask for roots at all: off for transports that cannot carry a request
  // from the server (Streamable HTTP without a GET stream).
  bool ask_roots = true;
  // Offer the write verbs as tools too (`nokv mcp --write`); the backend
  // must then run them.
  bool write_profile = false;
  // Set when the server could not start. The session still speaks the
  // protocol, so the client learns why instead of seeing a closed
  // connection: ping is answered, and every other request (initialize
  // first) fails with kServerNotStarted, this message and data {reason,
  // hint?}. The backend is then never called and may be null.
  std::optional<StartupFailure> startup_failure;
};

// Protocol versions the initialize handshake agrees on, newest first.
const std::vector<std::string>& SupportedProtocolVersions();
// The stateless era: no handshake; every request names this version and the
// client's capabilities in params._meta (docs/mcp.md, "Protocol eras").
inline constexpr char kStatelessVersion[] = "2026-07-28";
// Whether `message` is a request of that era: it names a version in
// params._meta (initialize never is).
bool IsStateless(const RpcMessage& message);

// One session fed message by message by a transport other than Run()'s
// line loop (Streamable HTTP, agent/http.h): every outgoing message
// (responses, notifications) goes to the LineSink given to Connect().
//
// Thread-safety: Handle and Close may be called from any thread.
class Connection {
 public:
  virtual ~Connection() = default;
  // One incoming JSON-RPC message, as Run() handles one line.
  virtual void Handle(std::string_view message) = 0;
  // Gives requests in flight the shutdown grace, cancels the rest; later
  // messages are dropped. Also done by the destructor.
  virtual void Close() = 0;
};

class Server {
 public:
  // `backend` is not owned and must outlive the server (null only with
  // options.startup_failure).
  Server(VerbBackend* backend, ServerOptions options);
  ~Server();

  // Serves `in` until end of input; then gives the requests in flight
  // options.shutdown_grace to finish, cancels the rest (their responses are
  // not sent) and returns. Fails only when the tool table cannot be built.
  Status Run(ByteSource* in, LineSink* out);

  // A new session whose output goes to `out` (which must outlive it). Any
  // number may be open at once, each with its own handshake and workers.
  // Fails only when the tool table cannot be built.
  Result<std::unique_ptr<Connection>> Connect(LineSink* out);

 private:
  Result<const ToolTable*> Tools();

  ServerOptions options_;
  VerbBackend* backend_;
  std::mutex tools_mu_;
  std::unique_ptr<ToolTable> tools_;  // guarded by tools_mu_: built on first use
};

}  // namespace nokv::agent
