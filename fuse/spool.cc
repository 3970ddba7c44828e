#include "fuse/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>

namespace nokv::fuse {
namespace {

constexpr uint64_t kChunk = 4 << 20;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status WriteAll(int fd, uint64_t offset, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "spool write");
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

// Reads [offset, offset + length) of fd into buf; what lies past the file's
// end reads as zeros.
Status ReadFull(int fd, uint64_t offset, char* buf, size_t length) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, buf + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "spool read");
    if (n == 0) {
      std::fill(buf + done, buf + length, '\0');
      break;
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Spool>> Spool::Create(const std::string& dir, fs::Filesystem* fs,
                                             uint64_t inode, bool empty) {
  // An unnamed file where the kernel can make one; elsewhere a named one
  // unlinked at once. Either way nothing outlives the process.
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    std::string name = dir + "/nokv-spool-XXXXXX";
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(name.c_str());
  }
  if (fd < 0) return Status::FromErrno(errno, "spool in " + dir);
  std::unique_ptr<Spool> spool(new Spool(fs, inode, fd));
  spool->filled_ = empty;
  spool->mtime_ns_ = NowNs();
  return spool;
}

Spool::~Spool() { ::close(fd_); }

Status Spool::FillLocked() {
  if (filled_) return Status::Ok();
  NOKV_ASSIGN_OR_RETURN(auto reader, fs_->OpenReaderAt(inode_));
  std::string chunk;
  for (uint64_t pos = 0; pos < reader->size(); pos += chunk.size()) {
    NOKV_RETURN_IF_ERROR(reader->Read(pos, std::min(kChunk, reader->size() - pos), &chunk));
    if (chunk.empty()) return Status::Corruption("short read while spooling a file");
    NOKV_RETURN_IF_ERROR(WriteAll(fd_, pos, chunk));
  }
  size_ = reader->size();
  mtime_ns_ = reader->attr().mtime_ns;
  filled_ = true;
  return Status::Ok();
}

void Spool::TouchLocked() {
  dirty_ = true;
  mtime_ns_ = NowNs();
}

Status Spool::Write(uint64_t offset, std::string_view data) {
  std::lock_guard lock(mu_);
  NOKV_RETURN_IF_ERROR(FillLocked());
  NOKV_RETURN_IF_ERROR(Poison(WriteAll(fd_, offset, data)));
  size_ = std::max<uint64_t>(size_, offset + data.size());
  TouchLocked();
  return Status::Ok();
}

Result<uint64_t> Spool::Append(std::string_view data) {
  std::lock_guard lock(mu_);
  NOKV_RETURN_IF_ERROR(FillLocked());
  uint64_t at = size_;
  NOKV_RETURN_IF_ERROR(Poison(WriteAll(fd_, at, data)));
  size_ = at + data.size();
  TouchLocked();
  return at;
}

Status Spool::Read(uint64_t offset, uint64_t length, std::string* out) {
  std::lock_guard lock(mu_);
  NOKV_RETURN_IF_ERROR(FillLocked());
  out->clear();
  if (offset >= size_) return Status::Ok();
  out->resize(std::min(length, size_ - offset));
  return ReadFull(fd_, offset, out->data(), out->size());
}

Status Spool::Truncate(uint64_t size) {
  std::lock_guard lock(mu_);
  // Cutting to 0 needs none of the old bytes.
  if (size == 0) filled_ = true;
  NOKV_RETURN_IF_ERROR(FillLocked());
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    return Status::FromErrno(errno, "spool truncate");
  }
  size_ = size;
  TouchLocked();
  return Status::Ok();
}

Status Spool::Allocate(int mode, uint64_t offset, uint64_t length) {
  std::lock_guard lock(mu_);
  NOKV_RETURN_IF_ERROR(FillLocked());
  if (::fallocate(fd_, mode, static_cast<off_t>(offset), static_cast<off_t>(length)) != 0) {
    return Status::FromErrno(errno, "fallocate");
  }
  if ((mode & FALLOC_FL_KEEP_SIZE) == 0) size_ = std::max(size_, offset + length);
  TouchLocked();
  return Status::Ok();
}

Result<uint64_t> Spool::Seek(uint64_t offset, int whence) {
  std::lock_guard lock(mu_);
  NOKV_RETURN_IF_ERROR(FillLocked());
  off_t at = ::lseek(fd_, static_cast<off_t>(offset), whence);
  if (at < 0) return Status::FromErrno(errno, "lseek");
  return static_cast<uint64_t>(at);
}

Result<uint64_t> Spool::Publish(const std::string& content_type) {
  std::lock_guard lock(mu_);
  // A write the application was told failed may have left some of its
  // bytes: the body is not what any sequence of successful writes made.
  if (!failed_.ok()) {
    return Status(failed_.code(), "not published: a write to this file failed (" +
                                      std::string(failed_.message()) +
                                      "); it keeps its last published generation");
  }
  if (!dirty_) return uint64_t{0};
  fs::WriteOptions options;
  options.mode = meta::PublishMode::kReplace;
  options.content_type = content_type;
  NOKV_ASSIGN_OR_RETURN(auto writer, fs_->OpenWriterAt(inode_, options));
  std::string chunk;
  for (uint64_t pos = 0; pos < size_; pos += chunk.size()) {
    chunk.resize(std::min(kChunk, size_ - pos));
    NOKV_RETURN_IF_ERROR(ReadFull(fd_, pos, chunk.data(), chunk.size()));
    NOKV_RETURN_IF_ERROR(writer->Append(chunk));
  }
  NOKV_ASSIGN_OR_RETURN(meta::Attr attr, writer->Commit());
  dirty_ = false;
  return attr.generation;
}

Status Spool::Poison(Status write) {
  if (!write.ok() && failed_.ok()) failed_ = write;
  return write;
}

bool Spool::Override(uint64_t* size, int64_t* mtime_ns) {
  std::lock_guard lock(mu_);
  if (!filled_) return false;
  *size = size_;
  *mtime_ns = mtime_ns_;
  return true;
}

void Spool::SetMtime(int64_t mtime_ns) {
  std::lock_guard lock(mu_);
  mtime_ns_ = mtime_ns;
}

bool Spool::dirty() {
  std::lock_guard lock(mu_);
  return dirty_;
}

}  // namespace nokv::fuse
