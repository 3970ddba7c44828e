// `nokv serve`: the metadata server. Opens the data directory, answers the
// metadata methods (src/server) over framed RPC on a Unix socket in the data
// directory and on any TCP listeners asked for, until SIGTERM or SIGINT.
// This file only translates flags (docs/cli.md, docs/formats/rpc.md).
#include <csignal>
#include <iostream>

#include "cli/commands.h"
#include "rpc/auth.h"
#include "rpc/server.h"
#include "server/http_control.h"
#include "server/methods.h"
#include "server/remote_fs.h"

namespace nokv::cli {
namespace {

constexpr char kUsage[] =
    "usage: nokv serve [--unix PATH] [--listen HOST:PORT]... [--http HOST:PORT]\n"
    "                  [--token-file FILE]\n\n"
    "Serves the data directory's metadata to other processes over framed RPC\n"
    "(docs/formats/rpc.md) until SIGTERM or SIGINT, then drains, checkpoints and\n"
    "exits 0.\n\n"
    "  --unix PATH         Unix socket (default <data-dir>/nokv.sock, mode 0600)\n"
    "  --listen HOST:PORT  also listen on TCP (a non-loopback address needs a token)\n"
    "  --http HOST:PORT    HTTP: GET /healthz /readyz /stats /metrics, POST /gc\n"
    "                      /checkpoint (POSTs need Authorization: Bearer TOKEN)\n"
    "  --token-file FILE   clients must present this token over TCP (the file\n"
    "                      must not be group or world readable); or set NOKV_TOKEN\n\n"
    "Clients: nokv --server unix:<data-dir>/nokv.sock ls /";

Result<std::string> Token(const Args& args) {
  if (auto file = args.Get("--token-file")) return rpc::LoadTokenFromFile(*file);
  if (const char* env = std::getenv("NOKV_TOKEN"); env != nullptr && *env != '\0') {
    return rpc::LoadTokenFromEnv("NOKV_TOKEN");
  }
  return std::string();
}

int Serve(Context& ctx, const Args& args) {
  if (!args.positional().empty()) return ctx.Usage("serve takes no positional arguments");
  if (!ctx.server.empty()) return ctx.Usage("serve runs on a data directory, not --server");
  auto token = Token(args);
  if (!token.ok()) return ctx.Fail("serve", token.status());

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  ctx.follow_holder = false;  // a second server must not serve the first one
  auto fs = ctx.Fs();
  if (!fs.ok()) return ctx.Fail("serve", fs.status());
  server::MethodOptions method_options;
  method_options.store_info = server::StoreInfo(ctx.embedded);
  // Without fsync per commit, namespace mutations are cheap enough for the loop.
  method_options.inline_mutations = ctx.embedded.durability != fs::Durability::kSync;
  server::MetadataMethods methods((*fs)->metadata(), method_options);
  rpc::ServerOptions options;
  options.auth_token = *token;
  options.run_inline = server::MetadataInlinePredicate(&methods);
  rpc::Server rpc(options, server::MetadataHandler(&methods));

  std::vector<std::string> addresses = {
      "unix:" + args.Get("--unix").value_or(ctx.embedded.data_dir + "/nokv.sock")};
  for (const auto& listen : args.GetAll("--listen")) addresses.push_back(listen);
  for (const auto& address : addresses) {
    auto bound = rpc.Listen(address);
    if (!bound.ok()) return ctx.Fail("serve " + address, bound.status());
    *ctx.err << "nokv: serving " << ctx.embedded.data_dir << " on " << bound->ToString() << "\n";
  }
  if (Status s = rpc.Start(); !s.ok()) return ctx.Fail("serve", s);
  std::unique_ptr<server::HttpControl> http;
  if (auto listen = args.Get("--http")) {
    size_t colon = listen->rfind(':');
    int port = -1;
    if (colon != std::string::npos) {
      auto parsed = ParseCount(listen->substr(colon + 1), "--http port");
      if (parsed.ok() && *parsed <= 65535) port = static_cast<int>(*parsed);
    }
    if (port < 0) return ctx.Usage("--http takes HOST:PORT");
    http = std::make_unique<server::HttpControl>((*fs)->metadata(), &methods, &rpc, *token);
    auto bound = http->Listen(listen->substr(0, colon), port);
    if (!bound.ok()) return ctx.Fail("serve --http " + *listen, bound.status());
    http->Start();
    *ctx.err << "nokv: HTTP on " << listen->substr(0, colon) << ":" << *bound << "\n";
  }
  ctx.err->flush();

  int signal = 0;
  sigwait(&stop_signals, &signal);
  *ctx.err << "nokv: " << (signal == SIGTERM ? "SIGTERM" : "SIGINT") << ", stopping\n";
  if (http) http->Stop();
  rpc.Stop();  // drains the requests in flight
  // The next open (embedded or another server) replays no WAL.
  if (Status s = (*fs)->metadata()->Checkpoint(); !s.ok()) return ctx.Fail("serve: checkpoint", s);
  return kExitOk;
}

}  // namespace

Command ServeCommand() {
  return Command{"serve", "serve the data directory's metadata to other processes",
                 kUsage,  {"--unix", "--listen", "--http", "--token-file"},
                 {},      Serve};
}

}  // namespace nokv::cli
