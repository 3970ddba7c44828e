// Env: the seam between NoKV and the operating system's file API.
//
// Everything that touches local files (WAL, checkpoints, the local object
// store) goes through an Env so tests can substitute FaultInjectionEnv, which
// drops unsynced data, fails writes or tears them. Env::Default() is the POSIX
// implementation; it is thread-safe and lives for the whole process. File
// objects are owned by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"

namespace nokv {

// A file written front to back.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual Status Sync() = 0;
  // Starts writing back what was appended so far without waiting for it
  // (sync_file_range WRITE), so a later Sync has little left to wait for.
  // Durability is not implied. Default: nothing.
  virtual Status StartWriteback() { return Status::Ok(); }
  virtual Status Close() = 0;
  // Bytes in the file, including those not yet synced.
  virtual uint64_t Size() const = 0;
};

// A file read at arbitrary offsets; safe for concurrent Read calls.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to out.size() bytes at offset into `out`; returns how many were
  // read (fewer only at end of file). Nothing is zero-filled first.
  virtual Result<size_t> ReadInto(uint64_t offset, std::span<char> out) const = 0;
  // Reads up to n bytes at offset into *out (resized to what was read; short
  // only at end of file).
  Status Read(uint64_t offset, size_t n, std::string* out) const;
  virtual Result<uint64_t> Size() const = 0;
};

// What GetFileAttributes reports about a file.
struct FileAttributes {
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // last modification, nanoseconds since the Unix epoch
};

// An advisory lock on a file (exclusive or shared); released on destruction.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX environment. Never destroyed.
  static Env* Default();

  // Creates or truncates `path`.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Opens `path` for appending, creating it if missing.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..".
  virtual Result<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Creates `dir` and missing parents; OK when it exists already.
  virtual Status CreateDirs(const std::string& dir) = 0;
  virtual Status RemoveDir(const std::string& dir) = 0;
  // Atomically replaces `to` with `from` (rename(2)).
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Gives the file `from` the second name `to` (link(2)); never replaces:
  // AlreadyExists when `to` exists, atomically with respect to other linkers.
  virtual Status LinkFile(const std::string& from, const std::string& to) = 0;
  // Makes the data of the existing file `path` durable (fdatasync), whoever
  // wrote it. Does not sync its directory entry (see SyncDir).
  virtual Status SyncFile(const std::string& path) = 0;
  // Makes creations, renames and removals inside `dir` durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  virtual Result<uint64_t> GetFileSize(const std::string& path) = 0;
  virtual Result<FileAttributes> GetFileAttributes(const std::string& path) = 0;

  // Takes an exclusive lock on `path` (created if missing) and records this
  // process id in it. Busy ("held by pid N") when another process holds it.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
  // Takes a shared lock on the existing file `path` without writing to it:
  // any number of shared holders coexist; Busy ("held by pid N", the pid an
  // exclusive holder recorded) while an exclusive holder has it, and an
  // exclusive LockFile is Busy while shared holders have it. NotFound when
  // `path` does not exist. Default: NotSupported.
  virtual Result<std::unique_ptr<FileLock>> LockFileShared(const std::string& path);
  // Creates or replaces `path` with `bytes` bytes whose disk space is
  // allocated now (fallocate), so that removing the file later gives that
  // space back. NoSpace when the space is not there (no partial file is
  // left behind). Default: writes zeros through NewWritableFile and syncs.
  virtual Status AllocateFile(const std::string& path, uint64_t bytes);

  // Reads the whole file.
  Status ReadFileToString(const std::string& path, std::string* out);
  // Writes `data` to path.tmp, syncs it, renames it over `path` and syncs the
  // directory: afterwards `path` holds either the old or the new bytes.
  Status WriteFileAtomically(const std::string& path, std::string_view data);
};

// True unless process `pid` is known not to exist on this machine (kill(pid,
// 0) fails with ESRCH). Used to tell a dead writer's leftovers from a live one's.
bool ProcessMayBeAlive(int64_t pid);

// "a/b" + "c" -> "a/b/c".
std::string JoinPath(std::string_view dir, std::string_view name);
// Directory part of a path ("a/b/c" -> "a/b", "c" -> ".").
std::string DirName(std::string_view path);

}  // namespace nokv
