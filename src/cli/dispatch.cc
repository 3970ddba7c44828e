// `nokv` dispatch: the command table and the global flags turned into a
// CLI11 parser (combined short flags, --flag=value, NOKV_* environment
// variables, generated help), the parse, then the command. CLI11 is used in
// this file only; it throws, so every exception stops here.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/logging.h"
#include "fs/data_dir.h"

namespace nokv::cli {
namespace {

constexpr char kFooter[] =
    "exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 conflict, 5 busy, 6 damaged\n"
    "`nokv <command> --help` shows a command's flags; docs/cli.md has the manual.";

const Command* FindCommand(std::string_view name) {
  for (const auto& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// Help in NoKV's shape: usage lines first, then the description, the flags
// and (for `nokv --help`) the commands.
class HelpFormatter : public CLI::Formatter {
 public:
  HelpFormatter() { column_width(30); }

  // A flag's value placeholder (choices included) and nothing else ...
  std::string make_option_opts(const CLI::Option* option) const override {
    if (option->get_type_size() == 0 || option->get_type_name().empty()) return "";
    return " " + option->get_type_name();
  }
  // ... and its environment variable after its description.
  std::string make_option_desc(const CLI::Option* option) const override {
    std::string env = option->get_envname();
    return option->get_description() + (env.empty() ? "" : " [env " + env + "]");
  }

  std::string make_help(const CLI::App* app, std::string, CLI::AppFormatMode mode) const override {
    std::ostringstream out;
    const Command* command = app->get_parent() == nullptr ? nullptr : FindCommand(app->get_name());
    if (command == nullptr) {
      out << "usage: nokv [global flags] <command> [args]\n\n" << app->get_description() << "\n";
    } else {
      for (size_t i = 0; i < command->synopsis.size(); ++i) {
        out << (i == 0 ? "usage: " : "       ") << "nokv " << command->name << " "
            << command->synopsis[i] << "\n";
      }
      if (command->synopsis.empty()) out << "usage: nokv " << command->name << "\n";
      out << "\n" << command->summary << ".\n";
      if (!command->description.empty()) out << "\n" << command->description << "\n";
    }
    out << make_groups(app, mode) << make_subcommands(app, mode);
    if (command != nullptr) out << "\nGlobal flags (nokv --help) are taken here too.\n";
    std::string footer = app->get_footer();
    if (!footer.empty()) out << "\n" << footer << "\n";
    return out.str();
  }
};

// The CLI11 options made for one list of flags, in the same order.
std::vector<CLI::Option*> AddFlags(CLI::App* app, const std::vector<Flag>& flags) {
  std::vector<CLI::Option*> options;
  for (const Flag& flag : flags) {
    CLI::Option* option = nullptr;
    if (flag.value.empty()) {
      option = app->add_flag(flag.names, flag.help);
      option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    } else {
      option = app->add_option(flag.names, CLI::callback_t{}, flag.help);
      option->type_name(flag.value);
      option->multi_option_policy(flag.repeat ? CLI::MultiOptionPolicy::TakeAll
                                              : CLI::MultiOptionPolicy::TakeLast);
      if (!flag.choices.empty()) option->check(CLI::IsMember(flag.choices));
    }
    if (!flag.env.empty()) option->envname(flag.env);
    options.push_back(option);
  }
  return options;
}

// The key of a flag: the first of its names ("-r" of "-r,--recursive").
std::string KeyOf(const Flag& flag) { return flag.names.substr(0, flag.names.find(',')); }

// Copies what the parse found for `flags` into `args`.
void Collect(const std::vector<Flag>& flags, const std::vector<CLI::Option*>& options, Args* args) {
  for (size_t i = 0; i < flags.size(); ++i) {
    const CLI::Option* option = options[i];
    if (option->count() == 0 && option->results().empty()) continue;
    if (flags[i].value.empty()) {
      // A switch is on unless its last value says false (--json=false, NOKV_JSON=0).
      if (option->as<bool>()) args->Add(KeyOf(flags[i]), "");
    } else {
      for (const auto& value : option->results()) args->Add(KeyOf(flags[i]), value);
    }
  }
}

// Applies the global flags in `args` to `ctx`; usage errors as Status.
Status ApplyGlobals(const Args& args, Context* ctx) {
  if (auto dir = args.Get("--data-dir")) ctx->embedded.data_dir = *dir;
  if (auto server = args.Get("--server")) ctx->server = *server;
  if (auto wait = args.Get("--wait")) {
    NOKV_ASSIGN_OR_RETURN(int64_t ns, ParseDuration(*wait));
    ctx->wait = std::chrono::milliseconds(ns / 1'000'000);
  }
  if (args.Has("--no-wait")) ctx->wait = std::chrono::milliseconds(0);
  if (auto grace = args.Get("--orphan-grace")) {
    NOKV_ASSIGN_OR_RETURN(int64_t ns, ParseDuration(*grace));
    ctx->embedded.orphan_grace =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::nanoseconds(ns));
  }
  ctx->json = args.Has("--json");
  ctx->quiet = args.Has("-q");
  ctx->verbose = args.Has("-v");
  auto& store = ctx->embedded.store;
  if (auto kind = args.Get("--object-store")) {
    NOKV_ASSIGN_OR_RETURN(store.kind, fs::StoreKindFromName(*kind));
  }
  if (auto v = args.Get("--s3-endpoint")) store.s3.endpoint = *v;
  if (auto v = args.Get("--s3-bucket")) store.s3.bucket = *v;
  if (auto v = args.Get("--s3-region")) store.s3.region = *v;
  if (auto v = args.Get("--s3-prefix")) store.s3.key_prefix = *v;
  if (auto v = args.Get("--s3-addressing")) store.s3.path_style = *v == "path";
  if (auto v = args.Get("--s3-profile")) ctx->s3_profile = *v;
  if (auto v = args.Get("--cache-bytes")) {
    NOKV_ASSIGN_OR_RETURN(store.tiered_capacity_bytes, ParseSize(*v, "--cache-bytes"));
  }
  if (auto d = args.Get("--durability")) {
    ctx->embedded.durability = *d == "group"  ? fs::Durability::kGroup
                               : *d == "none" ? fs::Durability::kNone
                                              : fs::Durability::kSync;
  }
  return Status::Ok();
}

// The setting each global flag sets (config show, settings.cc).
std::string SettingOf(std::string_view key) {
  if (key == "--no-wait") return "wait";
  std::string name(key.substr(2));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

// True when `argv` names the flag `flag` itself (not only its variable).
bool OnCommandLine(int argc, char** argv, const Flag& flag) {
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word == "--") break;
    for (size_t start = 0; start < flag.names.size();) {
      size_t end = flag.names.find(',', start);
      if (end == std::string::npos) end = flag.names.size();
      std::string_view name = std::string_view(flag.names).substr(start, end - start);
      if (word == name || (word.starts_with(name) && word.substr(name.size()).starts_with("="))) {
        return true;
      }
      start = end + 1;
    }
  }
  return false;
}

// Records where each setting came from: a flag, a NOKV_* variable, the AWS
// environment, or the default; then finds the data directory upward from the
// working directory when none was named (not for init, which makes one here).
void RecordOrigins(int argc, char** argv, const Args& globals, const std::string& command,
                   Context* ctx) {
  for (const Flag& flag : GlobalFlags()) {
    std::string key = KeyOf(flag);
    if (!globals.Has(key) || key == "--json" || key == "-q" || key == "-v") continue;
    std::string name = SettingOf(key);
    ctx->origins[name] = OnCommandLine(argc, argv, flag) ? "flag " + key : "env " + flag.env;
    ctx->explicit_settings[name] = true;
  }
  for (const char* env : {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}) {
    if (!ctx->origins.contains("s3_endpoint") && std::getenv(env) && *std::getenv(env)) {
      ctx->origins["s3_endpoint"] = std::string("env ") + env;
    }
  }
  for (const char* env : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (!ctx->origins.contains("s3_region") && std::getenv(env) && *std::getenv(env)) {
      ctx->origins["s3_region"] = std::string("env ") + env;
    }
  }
  if (!ctx->embedded.store.s3.access_key_id.empty()) {
    ctx->credentials_origin = "env AWS_ACCESS_KEY_ID";
  }
  if (ctx->origins.contains("data_dir")) return;
  ctx->origins["data_dir"] = "default";
  if (command == "init" || command == "restore") return;
  std::error_code ec;
  std::string cwd = std::filesystem::current_path(ec).string();
  if (ec) return;
  if (auto found = fs::FindDataDir(cwd)) {
    ctx->embedded.data_dir = *found;
    ctx->origins["data_dir"] = "found upward from " + cwd;
  }
}

// What CLI11 could not place, but "--" (which CLI11 keeps among the extras
// when it allows them).
std::vector<std::string> Leftover(const CLI::App& app) {
  std::vector<std::string> left = app.remaining(true);
  std::erase(left, "--");
  return left;
}

// The leftovers as NoKV's usage message.
std::string LeftoverMessage(const std::vector<std::string>& left, const CLI::App* sub) {
  std::string first = left.front();
  if (sub == nullptr && !first.starts_with("-")) return "unknown command '" + first + "'";
  std::string prefix = sub == nullptr ? "" : sub->get_name() + ": ";
  if (first.starts_with("-")) return prefix + "unknown flag " + first.substr(0, first.find('='));
  return prefix + "unexpected argument '" + first + "'";
}

// --json before the parse knows it: so that a usage error is a JSON document.
bool JsonRequested(int argc, char** argv) {
  auto on = [](std::string_view v) { return v == "1" || v == "true" || v == "yes" || v == "on"; };
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word == "--") break;
    if (word == "--json") return true;
    if (word.starts_with("--json=")) return on(word.substr(7));
  }
  const char* env = std::getenv("NOKV_JSON");
  return env != nullptr && on(env);
}

}  // namespace

const std::vector<Flag>& GlobalFlags() {
  static const std::vector<Flag> flags = {
      {"--data-dir",
       "data directory (default: found upward, else ./nokv-data)",
       "DIR",
       false,
       {},
       "NOKV_DATA_DIR"},
      {"--server",
       "talk to a metadata server (nokv serve) instead",
       "ADDR",
       false,
       {},
       "NOKV_SERVER"},
      {"--object-store",
       "where block bytes go (default local)",
       "KIND",
       false,
       {"local", "s3", "tiered"},
       "NOKV_OBJECT_STORE"},
      {"--s3-endpoint",
       "S3 endpoint URL (also AWS_ENDPOINT_URL)",
       "URL",
       false,
       {},
       "NOKV_S3_ENDPOINT"},
      {"--s3-bucket", "S3 bucket", "NAME", false, {}, "NOKV_S3_BUCKET"},
      {"--s3-region", "S3 region (also AWS_REGION)", "REGION", false, {}, "NOKV_S3_REGION"},
      {"--s3-prefix", "key prefix inside the bucket", "PREFIX", false, {}, "NOKV_S3_PREFIX"},
      {"--s3-addressing",
       "S3 URL style (default path)",
       "STYLE",
       false,
       {"path", "virtual"},
       "NOKV_S3_ADDRESSING"},
      {"--s3-profile",
       "AWS profile for credentials (also AWS_PROFILE)",
       "NAME",
       false,
       {},
       "NOKV_S3_PROFILE"},
      {"--cache-bytes",
       "hot-tier size for --object-store tiered (10GiB, 512M)",
       "SIZE",
       false,
       {},
       "NOKV_CACHE_BYTES"},
      {"--durability",
       "when a change is acknowledged (default sync)",
       "MODE",
       false,
       {"sync", "group", "none"},
       "NOKV_DURABILITY"},
      {"--wait",
       "wait this long for a data directory another process holds (default 10s)",
       "DURATION",
       false,
       {},
       "NOKV_WAIT"},
      {"--no-wait",
       "do not wait for a held data directory (--wait 0)",
       "",
       false,
       {},
       "NOKV_NO_WAIT"},
      {"--orphan-grace",
       "when this process holds the data directory: age an unreferenced upload "
       "must reach before gc deletes it (default 1h)",
       "DURATION",
       false,
       {},
       "NOKV_ORPHAN_GRACE"},
      {"--json", "machine-readable output: one JSON document", "", false, {}, "NOKV_JSON"},
      {"-q,--quiet", "no progress or informational output", "", false, {}, "NOKV_QUIET"},
      {"-v,--verbose", "log more to stderr", "", false, {}, "NOKV_VERBOSE"},
      {"--version", "print the version", "", false, {}, ""},
  };
  return flags;
}

namespace {

// A usage error of command `sub` (null: none chosen). `nokv mcp` answers
// it over the protocol too: its client reads nothing else.
int UsageError(Context& ctx, const CLI::App* sub, std::string message) {
  if (sub != nullptr && sub->get_name() == "mcp") return McpUsageError(ctx, message);
  return ctx.Usage(message);
}

}  // namespace

int Main(int argc, char** argv, std::ostream& out, std::ostream& err, int out_fd) {
  Context ctx;
  ctx.out = &out;
  ctx.err = &err;
  ctx.out_fd = out_fd;
  ctx.embedded.store.s3 = object::S3Options::FromEnvironment();
  ctx.json = JsonRequested(argc, argv);

  CLI::App app("A filesystem for AI training and agent workspaces.", "nokv");
  app.formatter(std::make_shared<HelpFormatter>());
  app.option_defaults()->group("flags");
  app.set_help_flag("-h,--help", "show this help");
  app.footer(kFooter);
  app.require_subcommand(0, 1);
  app.allow_extras();
  std::vector<CLI::Option*> global_options = AddFlags(&app, GlobalFlags());
  std::vector<std::pair<const Command*, std::vector<CLI::Option*>>> subs;
  std::map<std::string, std::vector<std::string>> positionals;  // by command name
  for (const Command& command : Commands()) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    sub->group("commands");
    sub->fallthrough();
    sub->allow_extras();
    // `-h` means human-readable sizes where a command says so.
    bool takes_h = false;
    for (const Flag& f : command.flags) takes_h |= f.names == "-h" || f.names.starts_with("-h,");
    sub->set_help_flag(takes_h ? "--help" : "-h,--help", "show this help");
    auto options = AddFlags(sub, command.flags);
    sub->add_option("args", positionals[command.name], "");
    subs.emplace_back(&command, std::move(options));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    const auto chosen = app.get_subcommands();
    std::string prefix = chosen.empty() ? "" : chosen.front()->get_name() + ": ";
    return UsageError(ctx, chosen.empty() ? nullptr : chosen.front(), prefix + e.what());
  }

  Args globals;
  Collect(GlobalFlags(), global_options, &globals);
  if (globals.Has("--version")) {
    out << kVersion << "\n";
    return kExitOk;
  }
  const auto chosen = app.get_subcommands();
  const CLI::App* sub = chosen.empty() ? nullptr : chosen.front();
  if (auto left = Leftover(app); !left.empty()) {
    return UsageError(ctx, sub, LeftoverMessage(left, sub));
  }
  if (sub == nullptr) {
    err << app.help();
    return kExitUsage;
  }
  if (Status s = ApplyGlobals(globals, &ctx); !s.ok()) {
    return UsageError(ctx, sub, std::string(s.message()));
  }
  RecordOrigins(argc, argv, globals, sub->get_name(), &ctx);
  SetLogLevel(ctx.verbose ? LogLevel::kInfo : LogLevel::kWarn);
  for (const auto& [command, options] : subs) {
    if (command->name != sub->get_name()) continue;
    Args args;
    Collect(command->flags, options, &args);
    for (auto& word : positionals[command->name]) args.AddPositional(std::move(word));
    return command->run(ctx, args);
  }
  return ctx.Usage("unknown command '" + sub->get_name() + "'");
}

}  // namespace nokv::cli
