// `nokv mcp`: the stdio MCP server over the filesystem. This file only
// translates flags; the protocol lives in agent/ (docs/mcp.md). When the
// server cannot start (no data directory, a busy one, an unreachable
// --server, a bad flag) it says why on stderr and still answers over stdio,
// so an MCP client sees the reason as the error of its initialize.
#include <unistd.h>

#include <csignal>

#include "agent/backend.h"
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
  // A long-running holder: it serves the data directory to every other
  // process (server/shared.h), or goes through the process that does; on a
  // disk it cannot write, it reads only.
  ctx.serve_dir = true;
  auto fs = ctx.Fs();
  if (!fs.ok()) return StartupFailed(ctx, fs.status());
  query::ServiceOptions service_options;
  service_options.root = PathArg(args.Get("--root").value_or("/"));
  service_options.snapshot = args.Get("--snapshot").value_or("");
  if (Status s = (*fs)->CheckVerbScope(service_options); !s.ok()) return StartupFailed(ctx, s);
  auto backend = agent::NewFilesystemBackend(*fs, service_options, write);
  agent::ServerOptions options;
  options.root = service_options.root;
  options.write_profile = write;
  if (Status s = ServeStdio(backend.get(), std::move(options)); !s.ok()) return ctx.Fail("mcp", s);
  return kExitOk;
}

}  // namespace

int McpUsageError(Context& ctx, std::string_view message) {
  if (message.starts_with("mcp: ")) message.remove_prefix(5);  // dispatch names the command
  return StartupFailed(ctx, {std::string(message), "see nokv mcp --help"}, kExitUsage);
}

Command McpCommand() {
  return {"mcp",
          "serve the agent verbs as an MCP server on stdio",
          {"[--root PATH] [--snapshot NAME | --write]"},
          kDescription,
          {{"--root", "confine every verb to this subtree (default /)", "PATH"},
           {"--snapshot", "serve a frozen view: read at this snapshot", "NAME"},
           {"--write",
            "also offer the write tools (write append edit mkdir move remove snapshot), "
            "confined to --root"}},
          {},
          Mcp};
}

}  // namespace nokv::cli
