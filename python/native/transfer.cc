// Whole-file transfers and digests, without the GIL.
#include "transfer.h"

#include <fcntl.h>
#include <unistd.h>

namespace nokv::python {
namespace {

// Large enough that read-ahead keeps the next blocks in flight.
constexpr uint64_t kDownloadChunk = 8ull << 20;

Status WriteAll(int fd, std::string_view data, const std::string& local_path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, local_path);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

Result<meta::Attr> DownloadFile(fs::Filesystem* fs, std::string_view path, const fs::ReadAt& at,
                                const std::string& local_path) {
  NOKV_ASSIGN_OR_RETURN(auto reader, fs->OpenReader(path, at));
  int fd = ::open(local_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, local_path);
  std::string chunk;
  Status status;
  for (uint64_t offset = 0; offset < reader->size() && status.ok(); offset += chunk.size()) {
    status = reader->Read(offset, kDownloadChunk, &chunk);
    if (status.ok() && chunk.empty()) {
      status = Status::Corruption(std::string(path) + " ended before its size");
    }
    if (status.ok()) status = WriteAll(fd, chunk, local_path);
  }
  if (::close(fd) != 0 && status.ok()) status = Status::FromErrno(errno, local_path);
  if (!status.ok()) return status;
  return reader->attr();
}

Result<meta::Attr> PublishBytes(fs::Filesystem* fs, std::string_view path, std::string_view data,
                                const fs::WriteOptions& options) {
  NOKV_ASSIGN_OR_RETURN(auto writer, fs->OpenWriter(path, options));
  NOKV_RETURN_IF_ERROR(writer->Append(data));
  return writer->Commit();
}

Result<DigestedAttr> StatWithDigest(fs::Filesystem* fs, std::string_view path,
                                    const fs::ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(meta::Attr attr, fs->Stat(path, at));
  DigestedAttr out{attr, ""};
  if (attr.type != meta::FileType::kFile) return out;
  // The attributes and the manifest of one generation: a pinned open.
  NOKV_ASSIGN_OR_RETURN(fs::OpenedFile file, fs->metadata()->OpenFile(path, at));
  fs->metadata()->Unpin(file.pin.id);
  out.attr = file.attr;
  out.digest = fs::BodyDigest(file);
  return out;
}

}  // namespace nokv::python
