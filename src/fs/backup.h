// Metadata backups (docs/formats/backup.md): a consistent image of the whole
// metadata, written to an object store under backups/<id>/ while writers go
// on, and the restore that rebuilds a data directory from one.
//
// A backup is pinned in the metadata (meta::MetaService::BeginBackup) before
// its image is written, so GC keeps every block the image names for as long
// as the backup is retained; retention deletes an image first and releases
// its pin after, so a listed backup always finds its blocks.
//
// Object layout under the target store:
//   backups/<id>/image-<NNNNNN>   the image (holt checkpoint format), in parts
//   backups/<id>/BACKUP           the descriptor (JSON), written last
//   backups/LATEST                a copy of the newest descriptor
// A backup without its descriptor is incomplete and never restored.
//
// Plain functions; each may run beside writers, but backups of one data
// directory run one at a time (the process holding it serializes them).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/sha256.h"
#include "object/object_store.h"

namespace nokv::meta {
class MetaService;
}

namespace nokv::fs {

inline constexpr std::string_view kBackupPrefix = "backups/";
inline constexpr std::string_view kBackupFormat = "nokv-backup";
inline constexpr uint32_t kBackupVersion = 1;
inline constexpr uint64_t kDefaultBackupPartBytes = 64ull << 20;

struct BackupPart {
  std::string key;
  uint64_t bytes = 0;
  Digest sha256{};
};

// What backups/<id>/BACKUP says about one backup.
struct BackupDescriptor {
  std::string id;
  uint64_t seq = 0;  // the metadata sequence the image holds
  int64_t created_ns = 0;
  uint64_t image_bytes = 0;
  Digest image_sha256{};
  std::vector<BackupPart> parts;
  uint64_t keys = 0;      // metadata keys in the image
  uint64_t versions = 0;  // their versions (pinned history included)
  // The namespace at the backup (checked again after a restore).
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  uint64_t bytes = 0;
};

nlohmann::json DescriptorToJson(const BackupDescriptor& backup);
// Corruption naming `where` for a document that is not a descriptor;
// NotSupported for a newer version.
Result<BackupDescriptor> DescriptorFromJson(const nlohmann::json& json, std::string_view where);

struct BackupOptions {
  // Where the image goes, recorded with the backup: "" for the data
  // directory's own object store, else a local directory (a store of its
  // own, e.g. on another disk).
  std::string to;
  // After a successful backup, images older than the newest `keep` in the
  // target are deleted and their pins released (0: keep every image).
  size_t keep = 0;
  uint64_t part_bytes = kDefaultBackupPartBytes;
};

struct BackupReport {
  BackupDescriptor backup;
  std::vector<std::string> deleted;  // images retention removed
  // Backup records whose image was gone from the target (a backup that
  // died before its descriptor, or an image deleted by hand): released.
  std::vector<std::string> released;
};

// {"backup": descriptor, "deleted": [ids], "released": [ids]}: what
// `nokv backup --json` prints and the server answers.
nlohmann::json BackupReportToJson(const BackupReport& report);
Result<BackupReport> BackupReportFromJson(const nlohmann::json& json);

// Takes a backup of `meta` into `target` (which `options.to` names).
Result<BackupReport> RunBackup(meta::MetaService& meta, object::ObjectStore& target,
                               const BackupOptions& options);

// A local directory as a backup target (`options.to`): an absolute path,
// opened as a local object store (created when missing).
Result<std::unique_ptr<object::ObjectStore>> OpenBackupDirectory(std::string_view dir);

// Complete backups in `store`, oldest (lowest sequence) first.
Result<std::vector<BackupDescriptor>> ListBackupImages(object::ObjectStore& store);

// Picks the backup `at` names among `backups` (ListBackupImages order): ""
// the newest; an id; a decimal metadata sequence (the newest backup at or
// before it); or a UTC time YYYY-MM-DDTHH:MM:SSZ (the newest taken at or
// before it). NotFound when none matches.
Result<BackupDescriptor> PickBackup(const std::vector<BackupDescriptor>& backups,
                                    std::string_view at);

}  // namespace nokv::fs
