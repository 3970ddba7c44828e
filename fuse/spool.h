// Spool: the pending bytes of one file open for writing (docs/fuse.md,
// "Writes").
//
// A spool is an unlinked local file holding the whole new body: filled from
// the current generation on the first change that needs the old bytes
// (nothing is fetched for a file opened with O_TRUNC or just created), then
// written in place, and published as one new generation by Publish. Because
// the file has no name, a crash leaves nothing behind and publishes nothing.
// A write that fails (the spool's disk is full) may leave part of its bytes,
// so a spool that had one never publishes: Publish returns that error.
//
// Thread-safety: every method may be called from any thread (one mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.h"
#include "fs/filesystem.h"

namespace nokv::fuse {

class Spool {
 public:
  // A spool for file `inode` in directory `dir`; `empty` when the file's
  // current bytes do not matter (created or truncated on open).
  static Result<std::unique_ptr<Spool>> Create(const std::string& dir, fs::Filesystem* fs,
                                               uint64_t inode, bool empty);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  Status Write(uint64_t offset, std::string_view data);
  // Appends at the current end; returns where the data went.
  Result<uint64_t> Append(std::string_view data);
  Status Read(uint64_t offset, uint64_t length, std::string* out);
  Status Truncate(uint64_t size);
  // fallocate(2) on the spool (mode 0, KEEP_SIZE, PUNCH_HOLE|KEEP_SIZE).
  Status Allocate(int mode, uint64_t offset, uint64_t length);
  // lseek(2) SEEK_DATA / SEEK_HOLE over the spooled body.
  Result<uint64_t> Seek(uint64_t offset, int whence);

  // Publishes the spooled body as a new generation of the file when it has
  // changes; returns the generation now current (0 when nothing was
  // published). `content_type` as fs::WriteOptions. Fails, publishing
  // nothing, once a Write or Append failed.
  Result<uint64_t> Publish(const std::string& content_type);

  // The spooled size and modification time once the spool holds the body;
  // false before (the stored attributes are current then).
  bool Override(uint64_t* size, int64_t* mtime_ns);
  // Sets the modification time Override reports (until the next change).
  void SetMtime(int64_t mtime_ns);
  bool dirty();

 private:
  Spool(fs::Filesystem* fs, uint64_t inode, int fd) : fs_(fs), inode_(inode), fd_(fd) {}
  // Copies the current body in, once (mu_ held).
  Status FillLocked();
  void TouchLocked();
  // Remembers the first failed write (mu_ held); returns `write`.
  Status Poison(Status write);

  fs::Filesystem* const fs_;
  const uint64_t inode_;
  const int fd_;
  std::mutex mu_;
  bool filled_ = false;   // guarded by mu_: fd_ holds the whole body
  bool dirty_ = false;    // guarded by mu_: changed since the last publish
  uint64_t size_ = 0;     // guarded by mu_
  int64_t mtime_ns_ = 0;  // guarded by mu_
  Status failed_;         // guarded by mu_: the first write that failed
};

}  // namespace nokv::fuse
