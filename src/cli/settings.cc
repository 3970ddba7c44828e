// Settings kept with the data: `nokv init` records the object store and the
// block size in the data directory (fs/data_dir.h); every later command reads
// them back, refuses a flag or NOKV_* variable that contradicts them, and
// finds S3 credentials (never stored). `nokv config show` prints the
// effective settings and where each came from.
#include <filesystem>
#include <ostream>

#include "cli/commands.h"
#include "fs/data_dir.h"

namespace nokv::cli {
namespace {

bool UsesS3(fs::StoreConfig::Kind kind) {
  return kind == fs::StoreConfig::Kind::kS3 || kind == fs::StoreConfig::Kind::kTiered;
}

// The settings by name, as text ("" where a setting does not apply, unless
// `all`: then every S3 setting is given, as flags may give them).
std::vector<std::pair<std::string, std::string>> Named(const fs::StoredSettings& s,
                                                       bool all = false) {
  bool s3 = all || UsesS3(s.kind);
  return {{"object_store", std::string(fs::StoreKindName(s.kind))},
          {"s3_endpoint", s3 ? s.endpoint : ""},
          {"s3_bucket", s3 ? s.bucket : ""},
          {"s3_prefix", s3 ? s.prefix : ""},
          {"s3_region", s3 ? s.region : ""},
          {"s3_addressing", s3 ? (s.path_style ? "path" : "virtual") : ""},
          {"block_size", std::to_string(s.block_size)}};
}

// InvalidArgument naming the first explicit setting that `stored` contradicts.
Status CheckAgainstStored(const Context& ctx, const fs::StoredSettings& stored,
                          const std::string& path) {
  auto want = Named(stored);
  fs::EmbeddedOptions as_s3 = ctx.embedded;
  as_s3.store.kind = fs::StoreConfig::Kind::kS3;
  auto given = Named(fs::SettingsOf(as_s3), /*all=*/true);
  given[0].second = fs::StoreKindName(ctx.embedded.store.kind);
  for (size_t i = 0; i < want.size(); ++i) {
    const std::string& name = want[i].first;
    if (!ctx.explicit_settings.contains(name) || given[i].second == want[i].second) continue;
    std::string stored_text = want[i].second.empty()
                                  ? "no " + name + " (object_store " + want[0].second + ")"
                                  : name + " " + want[i].second;
    return Status::InvalidArgument(ctx.origins.at(name) + " says " + given[i].second + ", but " +
                                   path + " stores " + stored_text +
                                   "; settings are fixed at `nokv init`: drop the flag, or use "
                                   "another data directory");
  }
  return Status::Ok();
}

}  // namespace

Status Context::ResolveSettings() {
  if (resolved_) return Status::Ok();
  resolved_ = true;
  const std::string& dir = embedded.data_dir;
  NOKV_ASSIGN_OR_RETURN(auto stored, fs::ReadSettings(dir));
  if (stored) {
    std::string path = (std::filesystem::path(dir) / fs::kSettingsFile).string();
    NOKV_RETURN_IF_ERROR(CheckAgainstStored(*this, *stored, path));
    fs::ApplySettings(*stored, &embedded);
    for (const auto& [name, value] : Named(*stored)) {
      if (!explicit_settings.contains(name)) origins[name] = "stored in " + path;
    }
  }
  if (UsesS3(embedded.store.kind)) {
    bool region_known = explicit_settings.contains("s3_region") || stored.has_value() ||
                        origins["s3_region"] != "default";
    NOKV_ASSIGN_OR_RETURN(std::string from,
                          fs::LoadSharedCredentials(s3_profile, &embedded.store.s3, region_known));
    if (!from.empty()) credentials_origin = from;
  }
  return Status::Ok();
}

Status Context::RequireDataDir() const {
  auto origin = origins.find("data_dir");
  if (origin == origins.end() || origin->second != "default" || fs::IsDataDir(embedded.data_dir)) {
    return Status::Ok();
  }
  std::error_code ec;
  return Status::NotFound("no data directory in " + std::filesystem::current_path(ec).string() +
                          " or any directory above it (run `nokv init` to make ./" +
                          std::string(fs::kDefaultDataDirName) + " here, or pass --data-dir)");
}

namespace {

int Init(Context& ctx, const Args& args) {
  if (!args.positional().empty()) return ctx.Usage("init takes no arguments");
  if (auto size = args.Get("--block-size")) {
    auto bytes = ParseSize(*size, "--block-size");
    if (!bytes.ok()) return ctx.Usage(bytes.status().message());
    if (*bytes < 4096 || *bytes > (64ull << 20)) {
      return ctx.Usage("--block-size must be from 4KiB to 64MiB");
    }
    ctx.embedded.block_size = *bytes;
    ctx.explicit_settings["block_size"] = true;
    ctx.origins["block_size"] = "flag --block-size";
  }
  const std::string& dir = ctx.embedded.data_dir;
  std::string what = "init " + dir;
  auto stored = fs::ReadSettings(dir);
  if (!stored.ok()) return ctx.Fail(what, stored.status());
  // A directory initialized before is verified with its stored settings.
  if (Status s = ctx.ResolveSettings(); !s.ok()) return ctx.Fail(what, s);
  if (Status s = fs::CheckStore(ctx.embedded.store, args.Has("--create-bucket")); !s.ok()) {
    return ctx.Fail(what, s);
  }
  // The settings first: a crash before the marker leaves no data directory,
  // and the next init finds the same settings.
  if (Status s = fs::CreateDataDir(dir); !s.ok()) return ctx.Fail(what, s);
  if (!stored->has_value()) {
    if (Status s = fs::WriteSettings(dir, fs::SettingsOf(ctx.embedded)); !s.ok()) {
      return ctx.Fail(what, s);
    }
  }
  if (Status s = fs::InitDataDir(ctx.embedded); !s.ok()) return ctx.Fail(what, s);
  if (ctx.json) {
    ctx.PrintJson(
        {{"data_dir", dir}, {"object_store", fs::StoreKindName(ctx.embedded.store.kind)}});
  } else if (!ctx.quiet) {
    *ctx.out << "initialized " << dir;
    if (UsesS3(ctx.embedded.store.kind)) {
      *ctx.out << " (blocks in s3://" << ctx.embedded.store.s3.bucket << "/"
               << ctx.embedded.store.s3.key_prefix << ")";
    }
    *ctx.out << "\n";
  }
  return kExitOk;
}

int Config(Context& ctx, const Args& args) {
  if (args.positional().size() != 1 || args.positional()[0] != "show") {
    return ctx.Usage("config needs show");
  }
  if (ctx.server.empty()) {
    Status s = ctx.RequireDataDir();
    if (s.ok()) s = ctx.ResolveSettings();
    if (!s.ok()) return ctx.Fail("config show", s);
  }
  const auto& e = ctx.embedded;
  std::vector<std::pair<std::string, std::string>> rows;
  if (!ctx.server.empty()) {
    rows.emplace_back("server", ctx.server);
  } else {
    rows.emplace_back("data_dir", e.data_dir);
    for (auto& row : Named(fs::SettingsOf(e))) {
      if (!row.second.empty()) rows.push_back(std::move(row));
    }
    if (e.store.kind == fs::StoreConfig::Kind::kTiered) {
      rows.emplace_back("cache_bytes", std::to_string(e.store.tiered_capacity_bytes));
    }
    if (UsesS3(e.store.kind)) {
      std::string key = e.store.s3.access_key_id;
      rows.emplace_back("s3_credentials",
                        key.empty() ? "none" : "access key " + key + " (secret not shown)");
    }
  }
  rows.emplace_back("durability", e.durability == fs::Durability::kGroup  ? "group"
                                  : e.durability == fs::Durability::kNone ? "none"
                                                                          : "sync");
  rows.emplace_back("wait", std::to_string(ctx.wait.count() / 1000.0).substr(0, 5) + "s");
  if (e.orphan_grace)
    rows.emplace_back("orphan_grace", std::to_string(e.orphan_grace->count()) + "s");
  auto origin = [&](const std::string& name) -> std::string {
    if (name == "s3_credentials") {
      return ctx.credentials_origin.empty() ? "not found" : ctx.credentials_origin;
    }
    auto it = ctx.origins.find(name);
    return it == ctx.origins.end() ? "default" : it->second;
  };
  if (ctx.json) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [name, value] : rows) j[name] = {{"value", value}, {"source", origin(name)}};
    ctx.PrintJson(j);
    return kExitOk;
  }
  for (const auto& [name, value] : rows) {
    *ctx.out << name << std::string(name.size() < 16 ? 16 - name.size() : 1, ' ') << value << "\t("
             << origin(name) << ")\n";
  }
  return kExitOk;
}

}  // namespace

Command InitCommand() {
  return {"init",
          "create a data directory",
          {"[--object-store KIND --s3-bucket B ...] [--block-size SIZE] [--create-bucket]"},
          "Creates (or verifies) the data directory: --data-dir, $NOKV_DATA_DIR, or\n"
          "./nokv-data (init never searches upward). It records the object store\n"
          "(kind, endpoint, bucket, prefix, region, addressing) and the block size in\n"
          "DIR/settings.json, so later commands need no store flags; credentials are\n"
          "never stored. For S3 it first checks that the credentials work and the\n"
          "bucket exists (--create-bucket makes it).",
          {{"--block-size", "cut files into blocks of this size (default 4MiB)", "SIZE"},
           {"--create-bucket", "create the S3 bucket when it does not exist"}},
          {},
          Init};
}

Command ConfigCommand() {
  return {"config",
          "show the effective settings and where each came from",
          {"show"},
          "Sources: a flag, a NOKV_* variable, the data directory's settings.json,\n"
          "the AWS environment or shared files (credentials), or the default.",
          {},
          {"show"},
          Config};
}

}  // namespace nokv::cli
