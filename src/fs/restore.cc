// Restore: every part and the whole image are checked before anything
// becomes a data directory; the restored namespace is checked against the
// descriptor.
#include "fs/restore.h"

#include <algorithm>
#include <filesystem>

#include "common/env.h"
#include "fs/data_dir.h"
#include "meta/meta_service.h"
#include "object/block.h"

namespace nokv::fs {
namespace {

constexpr std::string_view kRestoreImageName = ".restore-image.tmp";

// Downloads the image of `b` into `path`, checking each part and the whole.
Status DownloadImage(object::ObjectStore& from, const BackupDescriptor& b,
                     const std::string& path) {
  Env* env = Env::Default();
  NOKV_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(path));
  Sha256 whole;
  for (const auto& part : b.parts) {
    NOKV_ASSIGN_OR_RETURN(std::string bytes, from.Get(part.key));
    if (bytes.size() != part.bytes) {
      return Status::Corruption(part.key + ": " + std::to_string(bytes.size()) +
                                " bytes, the backup descriptor says " + std::to_string(part.bytes));
    }
    if (Sha256::Of(bytes) != part.sha256) {
      return Status::Corruption(part.key + ": does not match its SHA-256 in the descriptor");
    }
    whole.Update(bytes);
    NOKV_RETURN_IF_ERROR(file->Append(bytes));
  }
  if (whole.Finish() != b.image_sha256) {
    return Status::Corruption("backup " + b.id + ": the image does not match its SHA-256");
  }
  NOKV_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

// Copies every block object of `from` that `to` lacks, checking each
// against its content address.
Result<uint64_t> CopyBlocks(object::ObjectStore& from, object::ObjectStore& to) {
  uint64_t copied = 0;
  object::ListOptions list;
  list.prefix = "blocks/";
  list.limit = 1000;
  for (;;) {
    NOKV_ASSIGN_OR_RETURN(auto page, from.List(list));
    std::vector<std::string> keys;
    for (const auto& o : page.objects) {
      Digest digest{};
      if (!object::ParseBlockKey(o.key, &digest)) continue;
      if (to.Head(o.key).ok()) continue;
      NOKV_ASSIGN_OR_RETURN(std::string bytes, from.Get(o.key));
      if (Sha256::Of(bytes) != digest) {
        return Status::Corruption(from.Describe() + ": block " + o.key +
                                  " does not match its content address");
      }
      object::PutOptions put;
      put.sha256 = digest;
      NOKV_RETURN_IF_ERROR(to.Put(o.key, bytes, put));
      keys.push_back(o.key);
    }
    NOKV_RETURN_IF_ERROR(to.Sync(keys));
    copied += keys.size();
    if (!page.truncated || page.objects.empty()) return copied;
    list.start_after = page.objects.back().key;
  }
}

// The restore proper, into the existing empty `dir`.
Result<RestoreReport> RestoreInto(const RestoreOptions& options) {
  Env* env = Env::Default();
  const std::string& dir = options.target.data_dir;
  bool local = options.target.store.kind == StoreConfig::Kind::kLocal;
  if (local && options.from == nullptr) {
    return Status::InvalidArgument(
        "a data directory with a local store keeps its blocks inside it: name the store that "
        "holds the backups and blocks to restore from");
  }
  NOKV_ASSIGN_OR_RETURN(OpenedStore store, OpenObjectStore(options.target));
  object::ObjectStore& from = options.from != nullptr ? *options.from : *store.get();
  NOKV_ASSIGN_OR_RETURN(auto backups, ListBackupImages(from));
  RestoreReport report;
  NOKV_ASSIGN_OR_RETURN(report.backup, PickBackup(backups, options.at));
  const BackupDescriptor& b = report.backup;
  std::string image = JoinPath(dir, kRestoreImageName);
  Status downloaded = DownloadImage(from, b, image);
  if (!downloaded.ok()) {
    (void)env->RemoveFile(image);
    return downloaded;
  }
  NOKV_RETURN_IF_ERROR(meta::MetaService::InstallImage(image, JoinPath(dir, "meta")));
  if (local) {
    object::ObjectStore& blocks = options.blocks_from != nullptr ? *options.blocks_from : from;
    NOKV_ASSIGN_OR_RETURN(report.blocks_copied, CopyBlocks(blocks, *store.get()));
  }
  store = OpenedStore{};
  NOKV_RETURN_IF_ERROR(WriteSettings(dir, SettingsOf(options.target)));
  NOKV_RETURN_IF_ERROR(InitDataDir(options.target));
  // The restored namespace must be the one the backup described.
  NOKV_ASSIGN_OR_RETURN(auto fs, OpenEmbedded(options.target));
  NOKV_ASSIGN_OR_RETURN(meta::FsTotals totals, fs->metadata()->Totals());
  if (totals.files != b.files || totals.directories != b.directories ||
      totals.symlinks != b.symlinks || totals.bytes != b.bytes) {
    return Status::Corruption("restored namespace holds " + std::to_string(totals.files) +
                              " files and " + std::to_string(totals.bytes) + " bytes; backup " +
                              b.id + " says " + std::to_string(b.files) + " and " +
                              std::to_string(b.bytes));
  }
  // Every block a file needs must be in the store, or the restored files
  // would fail on read: one fsck pass (no block is read) says so now.
  NOKV_ASSIGN_OR_RETURN(meta::FsckReport fsck, fs->Fsck({}));
  std::vector<std::string> missing;
  for (const auto& f : fsck.findings) {
    if (f.kind != meta::FsckKind::kMissingBlock && f.kind != meta::FsckKind::kBlockSizeMismatch) {
      continue;
    }
    for (const auto& file : f.files) missing.push_back(file);
  }
  if (!missing.empty()) {
    std::sort(missing.begin(), missing.end());
    missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
    std::string some;
    for (size_t i = 0; i < std::min<size_t>(missing.size(), 3); ++i) some += " " + missing[i];
    return Status::Corruption("backup " + b.id + ": blocks of " + std::to_string(missing.size()) +
                              " files are not in the store (" + some.substr(1) +
                              (missing.size() > 3 ? " ..." : "") + ")");
  }
  report.blocks_checked = fsck.blocks;
  return report;
}

}  // namespace

Result<RestoreReport> RestoreDataDir(const RestoreOptions& options) {
  const std::string& dir = options.target.data_dir;
  std::error_code ec;
  bool existed = std::filesystem::exists(dir, ec);
  if (existed && !std::filesystem::is_empty(dir, ec)) {
    return Status::FailedPrecondition(
        dir + " is not empty; restore makes a new data directory and never overwrites one");
  }
  NOKV_RETURN_IF_ERROR(Env::Default()->CreateDirs(dir));
  auto restored = RestoreInto(options);
  if (!restored.ok()) {
    // Nothing half-restored is left to be mistaken for a data directory.
    if (existed) {
      for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        std::filesystem::remove_all(entry.path(), ec);
      }
    } else {
      std::filesystem::remove_all(dir, ec);
    }
  }
  return restored;
}

}  // namespace nokv::fs
