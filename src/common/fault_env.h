// FaultInjectionEnv: an Env for crash and fault tests.
//
// It forwards to a real Env and remembers, for every file it wrote, how many
// bytes were synced and whether its creation or rename was made durable by a
// SyncDir. SimulateCrash() then puts the disk into a state a power loss could
// leave: unsynced tails dropped (or a random prefix of them kept, a torn
// write), files created since their directory's last sync removed, and
// renames not yet made durable undone. Faults can also be injected: every
// mutating call fails after a budget of operations ("the process died here"),
// or the next append writes only part of its data. With TrackDirectories(),
// directories made by CreateDirs are entries of their parent too: a crash
// removes (with everything below it) one created since its parent's last sync.
//
// Thread-safe: all bookkeeping is under one mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "common/env.h"

namespace nokv {

class FaultInjectionEnv final : public Env {
 public:
  // `base` must outlive this env.
  explicit FaultInjectionEnv(Env* base);

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override;
  Status RemoveFile(const std::string& path) override;
  Status CreateDirs(const std::string& dir) override;
  Status RemoveDir(const std::string& dir) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status LinkFile(const std::string& from, const std::string& to) override;
  Status SyncFile(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Result<uint64_t> GetFileSize(const std::string& path) override;
  Result<FileAttributes> GetFileAttributes(const std::string& path) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
  Result<std::unique_ptr<FileLock>> LockFileShared(const std::string& path) override;

  // After `ops` more mutating calls (append, sync, create, rename, remove,
  // truncate, dir sync) every mutating call fails with IOError, as if the
  // process had died at that point. A negative budget disables the fault.
  void CrashAfter(int64_t ops);
  // The next Append writes only half of its data and then fails.
  void ShortWriteNext();
  // Directories created from now on are lost by a crash unless their parent
  // was synced after their creation (off by default).
  void TrackDirectories();
  // Calls `hook(path)` before every append (from the appending thread, no
  // lock held): tests use it to pause a writer at a chosen point.
  void SetAppendHook(std::function<void(const std::string& path)> hook);
  // Mutating calls made so far (to choose CrashAfter budgets).
  int64_t mutating_ops() const;
  bool crashed() const;

  // Puts the files this env wrote into a state a power loss could leave and
  // clears the injected faults. With `torn_seed`, a random prefix of each
  // unsynced tail survives instead of none of it.
  Status SimulateCrash(std::optional<uint32_t> torn_seed = std::nullopt);

  // Called by the file wrappers.
  Status BeforeMutation(const std::string& what);
  void RecordAppend(const std::string& path, uint64_t new_size);
  void RecordSync(const std::string& path, uint64_t size);
  bool TakeShortWrite();
  void RunAppendHook(const std::string& path);

 private:
  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
  };
  void NoteCreated(const std::string& path);
  Status RemoveTree(const std::string& path);  // under mu_

  Env* base_;
  mutable std::mutex mu_;
  std::map<std::string, FileState> files_;  // files written through this env
  std::set<std::string>
      unsynced_entries_;  // files (and tracked dirs) created since their dir's last sync
  // Rename targets not yet made durable -> what the target held before.
  std::map<std::string, std::optional<std::string>> unsynced_renames_;
  int64_t crash_budget_ = -1;
  int64_t ops_ = 0;
  bool crashed_ = false;
  bool short_write_next_ = false;
  bool track_dirs_ = false;
  std::function<void(const std::string&)> append_hook_;
};

}  // namespace nokv
