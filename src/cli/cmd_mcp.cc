// `nokv mcp`: the stdio MCP server over the filesystem. This file only
// translates flags; the protocol lives in agent/ (docs/mcp.md).
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
    "Client configuration (e.g. .mcp.json):\n"
    "  {\"mcpServers\": {\"nokv\": {\"command\": \"nokv\",\n"
    "    \"args\": [\"--data-dir\", \"/data/nokv\", \"mcp\", \"--root\", \"/runs\"]}}}";

int Mcp(Context& ctx, const Args& args) {
  if (!args.positional().empty()) return ctx.Usage("mcp takes no positional arguments");
  // A long-running holder: it serves the data directory to every other
  // process (server/shared.h), or goes through the process that does; on a
  // disk it cannot write, it reads only.
  ctx.serve_dir = true;
  const bool write = args.Has("--write");
  if (write && args.Has("--snapshot")) {
    return ctx.Usage("mcp: --write and --snapshot exclude each other (a snapshot is frozen)");
  }
  auto fs = ctx.Fs();
  if (!fs.ok()) return ctx.Fail("mcp", fs.status());
  query::ServiceOptions service_options;
  service_options.root = PathArg(args.Get("--root").value_or("/"));
  service_options.snapshot = args.Get("--snapshot").value_or("");
  if (Status s = (*fs)->CheckVerbScope(service_options); !s.ok()) return ctx.Fail("mcp", s);
  auto backend = agent::NewFilesystemBackend(*fs, service_options, write);
  // A client that goes away must not kill us mid-write; writes then fail.
  std::signal(SIGPIPE, SIG_IGN);
  agent::ServerOptions options;
  options.root = service_options.root;
  options.write_profile = write;
  agent::Server server(backend.get(), options);
  agent::FdSource in(STDIN_FILENO);
  agent::FdSink out(STDOUT_FILENO);
  if (Status s = server.Run(&in, &out); !s.ok()) return ctx.Fail("mcp", s);
  return kExitOk;
}

}  // namespace

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
