// Restoring a data directory from a metadata backup (fs/backup.h,
// docs/formats/backup.md).
#pragma once

#include "fs/backup.h"
#include "fs/embedded.h"

namespace nokv::fs {

struct RestoreOptions {
  // The data directory to make: absent or empty. Its store and block size
  // (recorded in its settings.json) are options.store / options.block_size.
  EmbeddedOptions target;
  // Where the backups are: the target's own store when null.
  object::ObjectStore* from = nullptr;
  // Where a local target's blocks are copied from: `from` when null.
  object::ObjectStore* blocks_from = nullptr;
  std::string at;  // PickBackup's argument
};

struct RestoreReport {
  BackupDescriptor backup;
  uint64_t blocks_copied = 0;   // local target: blocks copied from `from`
  uint64_t blocks_checked = 0;  // distinct blocks found in the store
};

// Rebuilds options.target.data_dir from a backup: refuses a directory that
// is not empty (FailedPrecondition), downloads the image checking every
// part's size and SHA-256 and the whole image's, installs it as the new
// directory's metadata, records the settings, and checks the restored
// namespace's totals against the descriptor and that every block its files
// need is in the store (Corruption naming files otherwise; an fsck pass that
// reads no block). A local target store gets the
// blocks of `from` copied in (each checked against its content address),
// since its blocks live inside the data directory (from `blocks_from`).
Result<RestoreReport> RestoreDataDir(const RestoreOptions& options);

}  // namespace nokv::fs
