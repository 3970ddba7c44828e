// The Streamable HTTP transport of the MCP server (`nokv mcp --http`,
// docs/mcp.md "Streamable HTTP"): one endpoint, POST for every client
// message, Mcp-Session-Id sessions created by initialize and ended by
// DELETE, Origin checks against DNS rebinding, and a bearer token, which
// is required whenever the listener is not on a loopback address.
//
// A request is answered with application/json, or with a text/event-stream
// when the client accepts one and the request has a progress token (its
// progress notifications come first) or the session has no GET stream. GET
// opens the session's one stream of server messages not tied to a request:
// roots/list and notifications. While no GET stream is open, those go out
// on the SSE response of any request in flight instead. Streams send a
// keep-alive comment every 15 s; there is no resumption (Last-Event-ID).
//
// Thread-safety: Bind then Run on one thread; Stop from any thread.
#pragma once

#include <memory>
#include <string>

#include "agent/server.h"
#include "common/result.h"

namespace nokv::agent {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (Bind returns it)
  std::string path = "/mcp";
  // Required as "Authorization: Bearer <token>" on every request when not
  // empty. Bind refuses a non-loopback host without one.
  std::string token;
  // Open sessions; when full, a new one ends the one idle longest.
  size_t max_sessions = 64;
  size_t max_body_bytes = 4u << 20;
};

// True for localhost, 127.0.0.0/8 and ::1 (brackets allowed).
bool IsLoopbackHost(std::string_view host);

class HttpTransport {
 public:
  // `server` is not owned and must outlive the transport.
  HttpTransport(Server* server, HttpOptions options);
  ~HttpTransport();

  // Listens on options.host:port; returns the port. PermissionDenied for a
  // non-loopback host without a token, Unavailable when it cannot listen.
  Result<int> Bind();
  // Serves until Stop(); then closes every session.
  void Run();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nokv::agent
