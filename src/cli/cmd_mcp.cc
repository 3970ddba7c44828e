// `nokv mcp`: the stdio MCP server over the filesystem. This file only
// translates flags; the protocol lives in agent/ (docs/mcp.md). When the
// server cannot start (no data directory, a busy one, an unreachable
// --server, a bad flag) it says why on stderr and still answers over stdio,
// so an MCP client sees the reason as the error of its initialize.
#include <pthread.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/backend.h"
#include "agent/http.h"
#include "agent/server.h"
#include "agent/stdio.h"
#include "cli/commands.h"

namespace nokv::cli {
namespace {

constexpr char kDescription[] =
    "Serves the seven read-only agent verbs (ls, stat, catalog, find, aggregate,\n"
    "read, grep) as MCP tools over stdio: newline-delimited JSON-RPC 2.0 on\n"
    "stdin/stdout, logs on stderr, exit 0 when stdin closes (docs/mcp.md). While it\n"
    "runs it serves the data directory to other nokv processes on DIR/nokv.sock,\n"
    "or goes through the process that does (docs/cli.md). With --server ADDR it\n"
    "serves the verbs of a metadata server (nokv serve). With --write it also offers\n"
    "write, append, edit, mkdir, move, remove and snapshot: each one atomic commit,\n"
    "generation-checked, confined to --root (symbolic links included).\n\n"
    "If it cannot start (no data directory, a busy one, an unreachable server, a\n"
    "bad flag) it says why on stderr and answers every request but ping with that\n"
    "reason (JSON-RPC error -32000) until stdin closes, then exits non-zero.\n\n"
    "With --http HOST:PORT it serves Streamable HTTP on http://HOST:PORT/mcp instead\n"
    "of stdio, until SIGTERM or SIGINT (port 0: any free port, printed on stderr).\n"
    "Off loopback it requires --token-file (a bearer token).\n\n"
    "Client configuration (e.g. .mcp.json):\n"
    "  {\"mcpServers\": {\"nokv\": {\"command\": \"nokv\",\n"
    "    \"args\": [\"--data-dir\", \"/data/nokv\", \"mcp\", \"--root\", \"/runs\"]}}}";

// Serves `options` over stdin/stdout until stdin closes.
Status ServeStdio(agent::VerbBackend* backend, agent::ServerOptions options) {
  // A client that goes away must not kill us mid-write; writes then fail.
  std::signal(SIGPIPE, SIG_IGN);
  agent::Server server(backend, std::move(options));
  agent::FdSource in(STDIN_FILENO);
  agent::FdSink out(STDOUT_FILENO);
  return server.Run(&in, &out);
}

// Where --http listens, and with which token.
struct HttpFlags {
  std::string host;
  int port = 0;
  std::string token;
};

Status ParseHttpFlags(const Args& args, HttpFlags* out) {
  std::string spec = *args.Get("--http");
  size_t colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) {
    return Status::InvalidArgument("--http takes HOST:PORT (e.g. 127.0.0.1:8080), not '" + spec +
                                   "'");
  }
  out->host = spec.substr(0, colon);
  if (out->host.size() > 2 && out->host.front() == '[' && out->host.back() == ']') {
    out->host = out->host.substr(1, out->host.size() - 2);
  }
  std::string_view digits = std::string_view(spec).substr(colon + 1);
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), out->port);
  if (error != std::errc() || end != digits.data() + digits.size() || out->port < 0 ||
      out->port > 65535) {
    return Status::InvalidArgument("--http: bad port in '" + spec + "'");
  }
  if (auto file = args.Get("--token-file")) {
    std::ifstream in(*file);
    if (!in) return Status::InvalidArgument("--token-file: cannot read " + *file);
    std::stringstream text;
    text << in.rdbuf();
    out->token = text.str();
    while (!out->token.empty() && std::isspace(static_cast<unsigned char>(out->token.back()))) {
      out->token.pop_back();
    }
    if (out->token.empty()) return Status::InvalidArgument("--token-file: " + *file + " is empty");
  }
  return Status::Ok();
}

// Serves over Streamable HTTP until SIGTERM or SIGINT (blocked by the caller
// before any thread started, in `stop_signals`).
int ServeHttp(Context& ctx, agent::VerbBackend* backend, agent::ServerOptions options,
              const HttpFlags& flags, const sigset_t& stop_signals) {
  agent::Server server(backend, std::move(options));
  agent::HttpOptions http;
  http.host = flags.host;
  http.port = flags.port;
  http.token = flags.token;
  agent::HttpTransport transport(&server, http);
  auto port = transport.Bind();
  if (!port.ok()) return ctx.Fail("mcp", port.status());
  std::string host =
      flags.host.find(':') != std::string::npos ? "[" + flags.host + "]" : flags.host;
  *ctx.err << "nokv: mcp: listening on http://" << host << ":" << *port << "/mcp" << std::endl;
  std::thread stopper([&stop_signals, &transport] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    transport.Stop();
  });
  transport.Run();
  pthread_kill(stopper.native_handle(), SIGTERM);  // stopped from elsewhere: end the waiter
  stopper.join();
  return kExitOk;
}

// Tells `failure` on stderr (never stdout, which carries only the protocol,
// --json or not), answers it over stdio, and returns `exit_code`.
int StartupFailed(Context& ctx, agent::StartupFailure failure, int exit_code) {
  *ctx.err << "nokv: mcp: " << failure.message
           << (failure.hint.empty() ? "" : " (" + failure.hint + ")") << "\n";
  agent::ServerOptions options;
  options.startup_failure = std::move(failure);
  if (Status s = ServeStdio(nullptr, std::move(options)); !s.ok()) {
    *ctx.err << "nokv: mcp: " << s.message() << "\n";
  }
  return exit_code;
}

int StartupFailed(Context& ctx, const Status& status) {
  std::string hint;
  if (status.code() == Code::kUnavailable) {
    hint = "check --server ADDR and that `nokv serve` runs there";
  }
  return StartupFailed(ctx, {std::string(status.message()), hint}, ExitCodeFor(status));
}

int Mcp(Context& ctx, const Args& args) {
  if (!args.positional().empty()) return McpUsageError(ctx, "mcp takes no positional arguments");
  const bool write = args.Has("--write");
  if (write && args.Has("--snapshot")) {
    return McpUsageError(ctx, "--write and --snapshot exclude each other (a snapshot is frozen)");
  }
  HttpFlags http;
  const bool over_http = args.Has("--http");
  if (over_http) {
    if (Status s = ParseHttpFlags(args, &http); !s.ok()) return ctx.Usage(s.message());
  } else if (args.Has("--token-file")) {
    return McpUsageError(ctx, "--token-file goes with --http");
  }
  // Over HTTP the stop signals are taken by sigwait; blocked before any
  // thread starts so that no other thread takes them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  if (over_http) pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A long-running holder: it serves the data directory to every other
  // process (server/shared.h), or goes through the process that does; on a
  // disk it cannot write, it reads only.
  ctx.serve_dir = true;
  auto fs = ctx.Fs();
  if (!fs.ok() && over_http) {
    // HTTP clients see the reason as the error of their initialize too.
    *ctx.err << "nokv: mcp: " << fs.status().message() << "\n";
    agent::ServerOptions failed;
    failed.startup_failure = agent::StartupFailure{std::string(fs.status().message()), ""};
    ServeHttp(ctx, nullptr, std::move(failed), http, stop_signals);
    return ExitCodeFor(fs.status());
  }
  if (!fs.ok()) return StartupFailed(ctx, fs.status());
  query::ServiceOptions service_options;
  service_options.root = PathArg(args.Get("--root").value_or("/"));
  service_options.snapshot = args.Get("--snapshot").value_or("");
  if (Status s = (*fs)->CheckVerbScope(service_options); !s.ok()) return StartupFailed(ctx, s);
  auto backend = agent::NewFilesystemBackend(*fs, service_options, write);
  agent::ServerOptions options;
  options.root = service_options.root;
  options.write_profile = write;
  if (over_http) return ServeHttp(ctx, backend.get(), std::move(options), http, stop_signals);
  if (Status s = ServeStdio(backend.get(), std::move(options)); !s.ok()) return ctx.Fail("mcp", s);
  return kExitOk;
}

}  // namespace

int McpUsageError(Context& ctx, std::string_view message) {
  if (message.starts_with("mcp: ")) message.remove_prefix(5);  // dispatch names the command
  return StartupFailed(ctx, {std::string(message), "see nokv mcp --help"}, kExitUsage);
}

Command McpCommand() {
  return {
      "mcp",
      "serve the agent verbs as an MCP server on stdio",
      {"[--root PATH] [--snapshot NAME | --write] [--http HOST:PORT [--token-file FILE]]"},
      kDescription,
      {{"--root", "confine every verb to this subtree (default /)", "PATH"},
       {"--snapshot", "serve a frozen view: read at this snapshot", "NAME"},
       {"--write",
        "also offer the write tools (write append edit mkdir move remove snapshot), "
        "confined to --root"},
       {"--http", "serve Streamable HTTP on http://HOST:PORT/mcp instead of stdio", "HOST:PORT"},
       {"--token-file", "with --http: require this bearer token (needed off loopback)", "FILE"}},
      {},
      Mcp};
}

}  // namespace nokv::cli
