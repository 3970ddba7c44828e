// FileReader: one generation of one file, read by range from Python.
//
// Wraps fs::Reader (which pins the generation and reads ahead when reads
// are sequential). The Python file object (nokv/_files.py) keeps the
// position; this class reads at explicit offsets, with the GIL released.
//
// Fork: a reader inherited by a forked child is abandoned (never destroyed
// there) and the file opened again through the child's filesystem; when the
// file has a different generation by then, reads fail with
// FailedPrecondition rather than return other bytes.
//
// Thread-safety: every method may be called from any thread; reads are
// serialized (fs::Reader is a cursor for one thread at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "client.h"
#include "fs/filesystem.h"

namespace nokv::python {

class FileReader {
 public:
  static Result<std::unique_ptr<FileReader>> Open(std::shared_ptr<ClientCore> core,
                                                  std::string path, fs::ReadAt at);
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // Reads up to `length` bytes at `offset` into *out (short only at the end).
  Status Read(uint64_t offset, uint64_t length, std::string* out);
  // Reads at `offset` into `buffer`; *n = bytes read (short only at the end).
  Status ReadInto(uint64_t offset, std::span<char> buffer, size_t* n);
  // Reads several [start, end) ranges in one call; (*out)[i] gets range i
  // (clipped to the body). Ranges that overlap or lie within kCoalesceGap
  // of each other are read as one span, so a block they share is fetched
  // (and verified) once.
  Status ReadRanges(std::span<const std::pair<uint64_t, uint64_t>> ranges,
                    std::vector<std::string>* out);
  static constexpr uint64_t kCoalesceGap = 1ull << 20;

  const meta::Attr& attr() const { return attr_; }
  const std::string& path() const { return path_; }
  // Drops the reader (and its pin) now. Reads then fail. Idempotent.
  void Close();

 private:
  FileReader(std::shared_ptr<ClientCore> core, std::string path, fs::ReadAt at)
      : core_(std::move(core)), path_(std::move(path)), at_(std::move(at)) {}
  // The reader of this process, reopened after a fork.
  Result<fs::Reader*> ReaderLocked();

  const std::shared_ptr<ClientCore> core_;  // shared: the reader needs its Filesystem
  const std::string path_;
  const fs::ReadAt at_;
  meta::Attr attr_;  // of the generation opened first

  std::mutex mu_;
  std::unique_ptr<fs::Reader> reader_;  // guarded by mu_
  uint64_t fork_generation_ = 0;        // guarded by mu_
  bool closed_ = false;                 // guarded by mu_
  std::string scratch_;                 // guarded by mu_: ReadInto's bytes
};

}  // namespace nokv::python
