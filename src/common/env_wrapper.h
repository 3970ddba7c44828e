// EnvWrapper: an Env that forwards every call to another Env. Subclasses
// override only what they change (fault injection, gates, counters) and
// inherit the rest.
//
// Thread-safety: as the Env it wraps; the wrapped Env must outlive it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/env.h"

namespace nokv {

class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* base) : base_(base) {}

  Env* base() const { return base_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return base_->NewWritableFile(path);
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    return base_->NewAppendableFile(path);
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override {
    return base_->GetChildren(dir);
  }
  Status RemoveFile(const std::string& path) override { return base_->RemoveFile(path); }
  Status CreateDirs(const std::string& dir) override { return base_->CreateDirs(dir); }
  Status RemoveDir(const std::string& dir) override { return base_->RemoveDir(dir); }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return base_->RenameFile(from, to);
  }
  Status LinkFile(const std::string& from, const std::string& to) override {
    return base_->LinkFile(from, to);
  }
  Status SyncFile(const std::string& path) override { return base_->SyncFile(path); }
  Status SyncDir(const std::string& dir) override { return base_->SyncDir(dir); }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    return base_->TruncateFile(path, size);
  }
  Result<uint64_t> GetFileSize(const std::string& path) override {
    return base_->GetFileSize(path);
  }
  Result<FileAttributes> GetFileAttributes(const std::string& path) override {
    return base_->GetFileAttributes(path);
  }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return base_->LockFile(path);
  }
  Result<std::unique_ptr<FileLock>> LockFileShared(const std::string& path) override {
    return base_->LockFileShared(path);
  }
  Status AllocateFile(const std::string& path, uint64_t bytes) override {
    return base_->AllocateFile(path, bytes);
  }

 private:
  Env* const base_;
};

}  // namespace nokv
