// `nokv` dispatch: global flags, help and the command table.
#include <cstdlib>
#include <iostream>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/logging.h"

namespace nokv::cli {
namespace {

constexpr std::string_view kVersion = "nokv 0.1.0";

const std::vector<std::string> kGlobalFlags = {
    "--data-dir",  "--server",    "--object-store", "--s3-endpoint", "--s3-bucket",
    "--s3-region", "--s3-prefix", "--durability",   "--cache-bytes", "--wait"};
const std::vector<std::string> kGlobalSwitches = {
    "--json", "-q", "--quiet", "-v", "--verbose", "--help", "-h", "--version", "--no-wait"};

void PrintHelp(std::ostream& out) {
  out << "usage: nokv [global flags] <command> [args]\n\n"
         "A filesystem for AI training and agent workspaces.\n\ncommands:\n";
  for (const auto& c : Commands()) {
    out << "  " << c.name << std::string(c.name.size() < 10 ? 10 - c.name.size() : 1, ' ')
        << c.summary << "\n";
  }
  out << "\nglobal flags:\n"
         "  --data-dir DIR        data directory (default $NOKV_DATA_DIR or ./nokv-data)\n"
         "  --server ADDR         talk to a metadata server instead of a local directory\n"
         "  --object-store KIND   local (default) | s3 | tiered\n"
         "  --s3-endpoint URL --s3-bucket NAME --s3-region R --s3-prefix P\n"
         "                        S3 settings (also AWS_* environment variables)\n"
         "  --cache-bytes N       hot-tier size for --object-store tiered\n"
         "  --durability MODE     sync (default) | group | none\n"
         "  --wait DURATION       wait this long for a data directory another process\n"
         "                        holds without serving it (default 10s; --no-wait: 0)\n"
         "  --json                machine-readable output (docs/cli.md)\n"
         "  -q, --quiet           no progress or informational output\n"
         "  -v, --verbose         log more to stderr\n"
         "  --version             print the version\n\n"
         "exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 conflict, 5 busy, 6 damaged\n"
         "`nokv <command> --help` shows a command's flags.\n";
}

// Applies global flags found in `args` to `ctx`; usage errors as Status.
Status ApplyGlobals(const Args& args, Context* ctx) {
  if (auto dir = args.Get("--data-dir")) ctx->embedded.data_dir = *dir;
  if (auto server = args.Get("--server")) ctx->server = *server;
  if (auto wait = args.Get("--wait")) {
    NOKV_ASSIGN_OR_RETURN(int64_t ns, ParseDuration(*wait));
    ctx->wait = std::chrono::milliseconds(ns / 1'000'000);
  }
  if (args.Has("--no-wait")) ctx->wait = std::chrono::milliseconds(0);
  ctx->json |= args.Has("--json");
  ctx->quiet |= args.Has("-q") || args.Has("--quiet");
  ctx->verbose |= args.Has("-v") || args.Has("--verbose");
  auto& store = ctx->embedded.store;
  if (auto kind = args.Get("--object-store")) {
    if (*kind == "local")
      store.kind = fs::StoreConfig::Kind::kLocal;
    else if (*kind == "s3")
      store.kind = fs::StoreConfig::Kind::kS3;
    else if (*kind == "tiered")
      store.kind = fs::StoreConfig::Kind::kTiered;
    else
      return Status::InvalidArgument("--object-store must be local, s3 or tiered");
  }
  if (auto v = args.Get("--s3-endpoint")) store.s3.endpoint = *v;
  if (auto v = args.Get("--s3-bucket")) store.s3.bucket = *v;
  if (auto v = args.Get("--s3-region")) store.s3.region = *v;
  if (auto v = args.Get("--s3-prefix")) store.s3.key_prefix = *v;
  if (auto v = args.Get("--cache-bytes")) {
    NOKV_ASSIGN_OR_RETURN(store.tiered_capacity_bytes, ParseCount(*v, "--cache-bytes"));
  }
  if (auto d = args.Get("--durability")) {
    if (*d == "sync")
      ctx->embedded.durability = fs::Durability::kSync;
    else if (*d == "group")
      ctx->embedded.durability = fs::Durability::kGroup;
    else if (*d == "none")
      ctx->embedded.durability = fs::Durability::kNone;
    else
      return Status::InvalidArgument("--durability must be sync, group or none");
  }
  return Status::Ok();
}

template <typename T>
std::vector<T> Concat(std::vector<T> a, const std::vector<T>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

int Main(int argc, char** argv, std::ostream& out, std::ostream& err, int out_fd) {
  Context ctx;
  ctx.out = &out;
  ctx.err = &err;
  ctx.out_fd = out_fd;
  if (const char* dir = std::getenv("NOKV_DATA_DIR"); dir && *dir) ctx.embedded.data_dir = dir;
  ctx.embedded.store.s3 = object::S3Options::FromEnvironment();
  std::vector<std::string> words(argv + 1, argv + argc);
  // Global flags come before the command name (and may repeat after it).
  size_t i = 0;
  std::vector<std::string> globals;
  for (; i < words.size() && words[i].starts_with("-"); ++i) {
    globals.push_back(words[i]);
    bool takes_value =
        std::find(kGlobalFlags.begin(), kGlobalFlags.end(), words[i]) != kGlobalFlags.end();
    if (takes_value && i + 1 < words.size()) globals.push_back(words[++i]);
  }
  auto global_args = Args::Parse(globals, kGlobalFlags, kGlobalSwitches);
  if (!global_args.ok()) return ctx.Usage(global_args.status().message());
  if (global_args->Has("--version")) {
    out << kVersion << "\n";
    return kExitOk;
  }
  if (i == words.size() || global_args->Has("--help") || global_args->Has("-h")) {
    PrintHelp(i == words.size() && !global_args->Has("--help") ? err : out);
    return i == words.size() && !global_args->Has("--help") ? kExitUsage : kExitOk;
  }
  if (Status s = ApplyGlobals(*global_args, &ctx); !s.ok()) return ctx.Usage(s.message());
  const std::string& name = words[i];
  for (const auto& command : Commands()) {
    if (command.name != name) continue;
    std::vector<std::string> rest(words.begin() + static_cast<long>(i) + 1, words.end());
    auto args = Args::Parse(rest, Concat(command.flags, kGlobalFlags),
                            Concat(command.switches, kGlobalSwitches));
    if (!args.ok()) return ctx.Usage(name + ": " + std::string(args.status().message()));
    if (args->Has("--help") || args->Has("-h")) {
      out << command.usage << "\n";
      return kExitOk;
    }
    if (Status s = ApplyGlobals(*args, &ctx); !s.ok()) return ctx.Usage(s.message());
    SetLogLevel(ctx.verbose ? LogLevel::kInfo : LogLevel::kWarn);
    return command.run(ctx, *args);
  }
  return ctx.Usage("unknown command '" + name + "'");
}

}  // namespace nokv::cli
