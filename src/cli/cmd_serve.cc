// `nokv serve`: the metadata server. Opens the data directory, answers the
// metadata methods (src/server) over framed RPC on a Unix socket in the data
// directory and on any TCP listeners asked for, until SIGTERM or SIGINT.
// This file only translates flags (docs/cli.md, docs/formats/rpc.md).
#include <csignal>
#include <iostream>

#include "cli/commands.h"
#include "rpc/auth.h"
#include "server/http_control.h"
#include "server/maintenance.h"

namespace nokv::cli {
namespace {

constexpr char kDescription[] =
    "Serves the data directory's metadata to other processes over framed RPC\n"
    "(docs/formats/rpc.md) until SIGTERM or SIGINT, then drains, checkpoints and\n"
    "exits 0. Expired snapshots and watch retention run every minute, idle\n"
    "checkpoints every 10m, metadata backups every --backup-interval (off by\n"
    "default; docs/formats/backup.md).\n\n"
    "Clients: nokv --server unix:<data-dir>/nokv.sock ls /";

Result<std::string> Token(const Args& args) {
  if (auto file = args.Get("--token-file")) return rpc::LoadTokenFromFile(*file);
  if (const char* env = std::getenv("NOKV_TOKEN"); env != nullptr && *env != '\0') {
    return rpc::LoadTokenFromEnv("NOKV_TOKEN");
  }
  return std::string();
}

// The background jobs `serve` runs (docs/cli.md "Background maintenance"),
// and the watch retention it opens the data directory with.
Result<server::MaintenanceOptions> MaintenanceFlags(const Args& args, fs::EmbeddedOptions* open) {
  server::MaintenanceOptions options;
  if (auto interval = args.Get("--gc-interval")) {
    NOKV_ASSIGN_OR_RETURN(int64_t ns, ParseDuration(*interval));
    options.gc_interval =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(ns));
  }
  if (auto interval = args.Get("--backup-interval")) {
    NOKV_ASSIGN_OR_RETURN(int64_t ns, ParseDuration(*interval));
    options.backup_interval =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(ns));
  }
  if (auto to = args.Get("--backup-to")) {
    std::error_code ec;
    options.backup.to = std::filesystem::absolute(*to, ec).lexically_normal().string();
  }
  if (auto keep = args.Get("--backup-keep")) {
    NOKV_ASSIGN_OR_RETURN(options.backup.keep, ParseCount(*keep, "--backup-keep"));
  }
  if (auto interval = args.Get("--scrub-interval")) {
    NOKV_ASSIGN_OR_RETURN(int64_t ns, ParseDuration(*interval));
    options.scrub_interval =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(ns));
  }
  if (auto rate = args.Get("--scrub-rate")) {
    NOKV_ASSIGN_OR_RETURN(options.scrub_rate_bytes_per_sec, ParseRate(*rate, "--scrub-rate"));
  }
  if (args.Has("--no-maintenance")) {
    options.gc_interval = options.retention_interval = options.checkpoint_interval =
        options.backup_interval = options.scrub_interval = std::chrono::milliseconds(0);
  }
  if (auto age = args.Get("--watch-retention")) {
    NOKV_ASSIGN_OR_RETURN(int64_t ns, ParseDuration(*age));
    open->watch_retention_age =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::nanoseconds(ns));
  }
  if (auto events = args.Get("--watch-retention-events")) {
    NOKV_ASSIGN_OR_RETURN(open->watch_retention_events,
                          ParseCount(*events, "--watch-retention-events"));
  }
  return options;
}

int Serve(Context& ctx, const Args& args) {
  if (!args.positional().empty()) return ctx.Usage("serve takes no positional arguments");
  if (!ctx.server.empty()) return ctx.Usage("serve runs on a data directory, not --server");
  auto token = Token(args);
  if (!token.ok()) return ctx.Fail("serve", token.status());
  auto maintenance_options = MaintenanceFlags(args, &ctx.embedded);
  if (!maintenance_options.ok()) return ctx.Usage(maintenance_options.status().message());

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  ctx.follow_holder = false;  // a second server must not serve the first one
  ctx.serve_dir = true;
  ctx.holder.rpc.auth_token = *token;
  ctx.holder.unix_path = args.Get("--unix").value_or("");
  ctx.holder.listen = args.GetAll("--listen");
  ctx.holder.maintenance = *maintenance_options;
  auto fs = ctx.Fs();
  if (!fs.ok()) return ctx.Fail("serve", fs.status());
  server::Holder* holder = ctx.shared()->holder();
  if (holder == nullptr) {
    return ctx.Fail("serve", Status::NotSupported("the data directory could only be opened "
                                                  "read-only, and a read-only open is not served"));
  }
  for (const auto& address : holder->addresses()) {
    *ctx.err << "nokv: serving " << ctx.embedded.data_dir << " on " << address.ToString() << "\n";
  }
  std::unique_ptr<server::HttpControl> http;
  if (auto listen = args.Get("--http")) {
    size_t colon = listen->rfind(':');
    int port = -1;
    if (colon != std::string::npos) {
      auto parsed = ParseCount(listen->substr(colon + 1), "--http port");
      if (parsed.ok() && *parsed <= 65535) port = static_cast<int>(*parsed);
    }
    if (port < 0) return ctx.Usage("--http takes HOST:PORT");
    http = std::make_unique<server::HttpControl>((*fs)->metadata(), holder->methods(),
                                                 holder->rpc(), *token);
    http->SetObjectStore((*fs)->store());
    http->SetMaintenance(holder->maintenance());
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
  holder->Stop();  // drains the requests in flight, then stops the background jobs
  // The next open (embedded or another server) replays no WAL.
  if (Status s = (*fs)->metadata()->Checkpoint(); !s.ok()) return ctx.Fail("serve: checkpoint", s);
  return kExitOk;
}

}  // namespace

Command ServeCommand() {
  return {
      "serve",
      "serve the data directory's metadata to other processes",
      {"[--unix PATH] [--listen HOST:PORT]... [--http HOST:PORT] [flags]"},
      kDescription,
      {{"--unix", "Unix socket (default <data-dir>/nokv.sock, mode 0600)", "PATH"},
       {"--listen", "also listen on TCP (a non-loopback address needs a token)", "HOST:PORT", true},
       {"--http", "HTTP: GET /healthz /readyz /stats /metrics, POST /gc /checkpoint", "HOST:PORT"},
       {"--token-file", "clients must present this token (or set NOKV_TOKEN)", "FILE"},
       {"--gc-interval", "background garbage collection every DURATION (default 10m, 0 = off)",
        "DURATION"},
       {"--backup-interval", "metadata backup every DURATION (default 0 = off)", "DURATION"},
       {"--backup-to", "periodic backups go to this local directory (default: the store)", "DIR"},
       {"--backup-keep", "periodic backups keep the newest N images (default 0 = all)", "N"},
       {"--scrub-interval", "read and check every block every DURATION (default 0 = off)",
        "DURATION"},
       {"--scrub-rate", "the scrub reads at most BYTES per second (e.g. 50M/s)", "BYTES/s"},
       {"--no-maintenance", "no background jobs at all"},
       {"--watch-retention", "drop watch events older than DURATION (default 7d)", "DURATION"},
       {"--watch-retention-events", "keep at most N watch events (default 1000000)", "N"}},
      {},
      Serve};
}

}  // namespace nokv::cli
