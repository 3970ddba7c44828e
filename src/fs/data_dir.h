// What a data directory keeps about itself beside the metadata and how one is
// found: the settings `nokv init` records (DIR/settings.json,
// docs/formats/settings.md) so later opens need no flags, the upward search
// from a working directory (like git's for .git), the check that an S3 store
// is reachable with the credentials at hand, and those credentials from the
// AWS shared files. Credentials are never written into the data directory.
//
// Plain functions on values; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "fs/embedded.h"

namespace nokv::fs {

// The file in a data directory that makes it one (embedded.cc writes it).
inline constexpr std::string_view kDataDirMarker = "NOKV";
// The default name of a data directory inside a working directory.
inline constexpr std::string_view kDefaultDataDirName = "nokv-data";
inline constexpr std::string_view kSettingsFile = "settings.json";

// Creates `dir` (and its parents) when missing. A data directory it creates
// is private to its owner (0700): it holds the WAL, checkpoints and local
// blocks, readable otherwise by every local user whatever the socket's mode.
// An existing directory keeps the mode its owner gave it.
Status CreateDataDir(const std::string& dir);

// The settings fixed at `nokv init`: where the blocks live and their size.
struct StoredSettings {
  StoreConfig::Kind kind = StoreConfig::Kind::kLocal;
  // S3 and tiered only (empty for a local store).
  std::string endpoint;
  std::string bucket;
  std::string prefix;
  std::string region;
  bool path_style = true;
  uint64_t block_size = 4ull << 20;
};

// The settings `options` would record.
StoredSettings SettingsOf(const EmbeddedOptions& options);
// Sets the store and block size of `options` from `settings`.
void ApplySettings(const StoredSettings& settings, EmbeddedOptions* options);
// "local", "s3", "tiered"; and back (InvalidArgument for another word).
std::string_view StoreKindName(StoreConfig::Kind kind);
Result<StoreConfig::Kind> StoreKindFromName(std::string_view name);

// DIR/settings.json, or nullopt when the directory has none (made before
// settings were kept, or not a data directory). Corruption naming the file
// when it is not a settings document; FailedPrecondition when a newer nokv
// wrote it.
Result<std::optional<StoredSettings>> ReadSettings(const std::string& data_dir);
// Writes DIR/settings.json atomically (temp file, fsync, rename).
Status WriteSettings(const std::string& data_dir, const StoredSettings& settings);

// True when `dir` holds the data directory marker.
bool IsDataDir(const std::string& dir);
// The data directory for a command run in `start` (absolute): the nearest of
// `start` and its ancestors that is a data directory or holds one named
// nokv-data. nullopt when there is none up to the root.
std::optional<std::string> FindDataDir(const std::string& start);

// Fills missing S3 credentials (and an unset region) of `options` from the
// AWS shared files: $AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials)
// and $AWS_CONFIG_FILE (default ~/.aws/config), profile `profile` (empty:
// $AWS_PROFILE, else "default"). Returns where the keys came from ("" when
// no file had them). NotFound when a profile was named and no file has it.
Result<std::string> LoadSharedCredentials(std::string_view profile, object::S3Options* options,
                                          bool region_from_env);

// Checks that the object store of `config` is usable: for S3 (and the cold
// tier of tiered), that credentials are set, and that the bucket exists and
// answers a listing with them; with `create_bucket`, a missing bucket is
// created. Errors say what to fix: PermissionDenied (credentials refused),
// NotFound (no such bucket), InvalidArgument (no credentials).
Status CheckStore(const StoreConfig& config, bool create_bucket);

}  // namespace nokv::fs
