// Data directory settings, discovery, the store check and AWS shared
// credentials (fs/data_dir.h).
#include "fs/data_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/env.h"
#include "object/s3_store.h"

namespace nokv::fs {
namespace {

constexpr std::string_view kFormat = "nokv-settings";
constexpr int kVersion = 1;

std::string GetEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// An AWS shared file: section name -> key -> value. Sections are "[name]"
// (credentials) or "[profile name]" (config, except "[default]").
using IniFile = std::map<std::string, std::map<std::string, std::string>>;

std::string Trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return "";
  size_t end = text.find_last_not_of(" \t\r");
  return std::string(text.substr(begin, end - begin + 1));
}

std::optional<IniFile> ReadIni(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  IniFile file;
  std::string section;
  for (std::string line; std::getline(in, line);) {
    std::string text = Trim(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    if (text.front() == '[' && text.back() == ']') {
      section = Trim(std::string_view(text).substr(1, text.size() - 2));
      if (section.starts_with("profile ")) section = Trim(section.substr(8));
      file[section];
      continue;
    }
    size_t eq = text.find('=');
    if (eq == std::string::npos || section.empty()) continue;
    file[section][Trim(std::string_view(text).substr(0, eq))] =
        Trim(std::string_view(text).substr(eq + 1));
  }
  return file;
}

std::string HomeFile(const char* env, std::string_view under_home) {
  std::string path = GetEnv(env);
  if (!path.empty()) return path;
  std::string home = GetEnv("HOME");
  return home.empty() ? "" : JoinPath(home, under_home);
}

}  // namespace

std::string_view StoreKindName(StoreConfig::Kind kind) {
  switch (kind) {
    case StoreConfig::Kind::kLocal:
      return "local";
    case StoreConfig::Kind::kS3:
      return "s3";
    case StoreConfig::Kind::kTiered:
      return "tiered";
    case StoreConfig::Kind::kMemory:
      return "memory";
  }
  return "local";
}

Result<StoreConfig::Kind> StoreKindFromName(std::string_view name) {
  if (name == "local") return StoreConfig::Kind::kLocal;
  if (name == "s3") return StoreConfig::Kind::kS3;
  if (name == "tiered") return StoreConfig::Kind::kTiered;
  return Status::InvalidArgument("object store '" + std::string(name) +
                                 "' is not local, s3 or tiered");
}

StoredSettings SettingsOf(const EmbeddedOptions& options) {
  StoredSettings settings;
  settings.kind = options.store.kind;
  settings.block_size = options.block_size;
  if (settings.kind == StoreConfig::Kind::kS3 || settings.kind == StoreConfig::Kind::kTiered) {
    const object::S3Options& s3 = options.store.s3;
    settings.endpoint = s3.endpoint;
    settings.bucket = s3.bucket;
    settings.prefix = s3.key_prefix;
    settings.region = s3.region;
    settings.path_style = s3.path_style;
  }
  return settings;
}

void ApplySettings(const StoredSettings& settings, EmbeddedOptions* options) {
  options->store.kind = settings.kind;
  options->block_size = settings.block_size;
  if (settings.kind == StoreConfig::Kind::kS3 || settings.kind == StoreConfig::Kind::kTiered) {
    object::S3Options& s3 = options->store.s3;
    s3.endpoint = settings.endpoint;
    s3.bucket = settings.bucket;
    s3.key_prefix = settings.prefix;
    s3.region = settings.region;
    s3.path_style = settings.path_style;
  }
}

Result<std::optional<StoredSettings>> ReadSettings(const std::string& data_dir) {
  Env* env = Env::Default();
  std::string path = JoinPath(data_dir, kSettingsFile);
  if (!env->FileExists(path)) return std::optional<StoredSettings>();
  std::string text;
  NOKV_RETURN_IF_ERROR(env->ReadFileToString(path, &text));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto damaged = [&](std::string_view why) {
    return Status::Corruption(path + ": " + std::string(why) + " (docs/formats/settings.md)");
  };
  if (j.is_discarded() || !j.is_object()) return damaged("not a JSON object");
  if (!j.contains("format") || j["format"] != kFormat) {
    return damaged("format is not \"nokv-settings\"");
  }
  if (!j.contains("version") || !j["version"].is_number_unsigned()) return damaged("no version");
  if (j["version"].get<int>() > kVersion) {
    return Status::FailedPrecondition(path + " is version " + j["version"].dump() +
                                      ", written by a newer nokv (this one reads version " +
                                      std::to_string(kVersion) + ")");
  }
  const nlohmann::json& store = j.contains("object_store") ? j["object_store"] : nlohmann::json();
  if (!store.is_object() || !store.contains("kind") || !store["kind"].is_string()) {
    return damaged("no object_store.kind");
  }
  if (!j.contains("block_size") || !j["block_size"].is_number_unsigned() ||
      j["block_size"].get<uint64_t>() == 0) {
    return damaged("no block_size");
  }
  StoredSettings settings;
  auto kind = StoreKindFromName(store["kind"].get<std::string>());
  if (!kind.ok()) return damaged(kind.status().message());
  settings.kind = *kind;
  settings.block_size = j["block_size"].get<uint64_t>();
  auto text_of = [&](const char* key) -> Result<std::string> {
    if (!store.contains(key)) return std::string();
    if (!store[key].is_string()) return damaged(std::string("object_store.") + key);
    return store[key].get<std::string>();
  };
  NOKV_ASSIGN_OR_RETURN(settings.endpoint, text_of("endpoint"));
  NOKV_ASSIGN_OR_RETURN(settings.bucket, text_of("bucket"));
  NOKV_ASSIGN_OR_RETURN(settings.prefix, text_of("prefix"));
  NOKV_ASSIGN_OR_RETURN(settings.region, text_of("region"));
  NOKV_ASSIGN_OR_RETURN(std::string addressing, text_of("addressing"));
  if (addressing != "" && addressing != "path" && addressing != "virtual") {
    return damaged("object_store.addressing is not path or virtual");
  }
  settings.path_style = addressing != "virtual";
  return std::optional<StoredSettings>(std::move(settings));
}

Status WriteSettings(const std::string& data_dir, const StoredSettings& settings) {
  nlohmann::ordered_json store;
  store["kind"] = StoreKindName(settings.kind);
  if (settings.kind == StoreConfig::Kind::kS3 || settings.kind == StoreConfig::Kind::kTiered) {
    store["endpoint"] = settings.endpoint;
    store["bucket"] = settings.bucket;
    store["prefix"] = settings.prefix;
    store["region"] = settings.region;
    store["addressing"] = settings.path_style ? "path" : "virtual";
  }
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["object_store"] = store;
  j["block_size"] = settings.block_size;
  return Env::Default()->WriteFileAtomically(JoinPath(data_dir, kSettingsFile), j.dump(2) + "\n");
}

bool IsDataDir(const std::string& dir) {
  return Env::Default()->FileExists(JoinPath(dir, kDataDirMarker));
}

std::optional<std::string> FindDataDir(const std::string& start) {
  std::filesystem::path dir = std::filesystem::path(start).lexically_normal();
  for (;;) {
    if (IsDataDir(dir.string())) return dir.string();
    std::string inside = (dir / kDefaultDataDirName).string();
    if (IsDataDir(inside)) return inside;
    if (!dir.has_parent_path() || dir.parent_path() == dir) return std::nullopt;
    dir = dir.parent_path();
  }
}

Result<std::string> LoadSharedCredentials(std::string_view profile, object::S3Options* options,
                                          bool region_from_env) {
  std::string name(profile);
  bool named = !name.empty();
  if (name.empty()) name = GetEnv("AWS_PROFILE");
  named |= !name.empty();
  if (name.empty()) name = "default";
  std::string credentials_path = HomeFile("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
  std::string config_path = HomeFile("AWS_CONFIG_FILE", ".aws/config");
  auto credentials = ReadIni(credentials_path);
  auto config = ReadIni(config_path);
  const std::map<std::string, std::string>* keys = nullptr;
  std::string from;
  for (auto [file, path] : {std::pair{&credentials, &credentials_path}, {&config, &config_path}}) {
    if (!*file) continue;
    auto it = (*file)->find(name);
    if (it == (*file)->end()) continue;
    if (keys == nullptr && it->second.contains("aws_access_key_id")) {
      keys = &it->second;
      from = *path + " [" + name + "]";
    }
  }
  if (named && keys == nullptr && !(config && config->contains(name)) &&
      !(credentials && credentials->contains(name))) {
    return Status::NotFound("AWS profile '" + name + "' is in neither " + credentials_path +
                            " nor " + config_path);
  }
  if (options->access_key_id.empty() && keys != nullptr) {
    options->access_key_id = keys->at("aws_access_key_id");
    auto secret = keys->find("aws_secret_access_key");
    options->secret_access_key = secret == keys->end() ? "" : secret->second;
    auto token = keys->find("aws_session_token");
    options->session_token = token == keys->end() ? "" : token->second;
  } else {
    from.clear();
  }
  if (!region_from_env && config) {
    if (auto it = config->find(name); it != config->end() && it->second.contains("region")) {
      options->region = it->second.at("region");
    }
  }
  return from;
}

Status CheckStore(const StoreConfig& config, bool create_bucket) {
  if (config.kind != StoreConfig::Kind::kS3 && config.kind != StoreConfig::Kind::kTiered) {
    return Status::Ok();
  }
  const object::S3Options& s3 = config.s3;
  if (s3.bucket.empty()) return Status::InvalidArgument("no S3 bucket: pass --s3-bucket");
  if (s3.access_key_id.empty() || s3.secret_access_key.empty()) {
    return Status::InvalidArgument(
        "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile "
        "of ~/.aws/credentials with AWS_PROFILE or --s3-profile");
  }
  NOKV_ASSIGN_OR_RETURN(auto store, object::S3Store::Open(s3));
  std::string where = "bucket " + s3.bucket + " at " + (s3.endpoint.empty() ? "AWS" : s3.endpoint);
  object::ListOptions probe;
  probe.prefix = "blocks/";
  probe.limit = 1;
  auto listed = store->List(probe);
  if (listed.ok()) return Status::Ok();
  const Status& s = listed.status();
  std::string message(s.message());
  if (s.code() == Code::kNotFound || message.find("NoSuchBucket") != std::string::npos) {
    if (create_bucket) {
      Status made = store->CreateBucket();
      if (!made.ok())
        return Status(made.code(), "creating " + where + ": " + std::string(made.message()));
      return store->List(probe).status();
    }
    return Status::NotFound(where +
                            " does not exist (create it, or pass --create-bucket): " + message);
  }
  if (s.code() == Code::kPermissionDenied) {
    return Status::PermissionDenied(where + " refused these credentials (access key " +
                                    s3.access_key_id + "): " + message);
  }
  return Status(s.code(), "cannot reach " + where + ": " + message);
}

Status CreateDataDir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return Status::Ok();
  std::filesystem::path path(dir);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return Status::IOError(dir + ": " + ec.message());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IOError(dir + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace nokv::fs
