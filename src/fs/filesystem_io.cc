// The write and read paths: streaming bytes into blocks and publishing them;
// reading ranges of one pinned generation; multi-file publishes; upload
// leases.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "common/env.h"
#include "common/media_type.h"
#include "fs/filesystem.h"
#include "meta/path.h"
#include "object/block.h"
#include "object/block_reader.h"
#include "object/block_writer.h"

namespace nokv::fs {

std::string GuessContentType(std::string_view name) {
  std::string_view type = MediaTypeOf(name);
  return std::string(type.empty() ? kOctetStream : type);
}

namespace {

meta::PublishRequest MakeRequest(std::string_view path, const object::BodyLayout& layout,
                                 const WriteOptions& options) {
  meta::PublishRequest request;
  request.path = path;
  request.manifest.layout = layout;
  request.manifest.content_type =
      options.content_type.empty() ? GuessContentType(path) : options.content_type;
  request.manifest.producer = options.producer;
  request.mode = options.mode;
  request.expected_generation = options.expected_generation;
  request.node.parents = options.parents;
  request.node.mode = options.file_mode;
  request.node.request_id = options.request_id;
  return request;
}

}  // namespace

Result<std::vector<meta::Attr>> Filesystem::PublishWithRetry(
    const std::vector<meta::PublishRequest>& requests, const std::function<Status()>& reupload) {
  auto published = parts_.metadata->Publish(requests);
  if (published.ok() || !published.status().Is(Reason::kBlockCollected)) return published;
  if (!reupload) {
    return Status(Code::kAborted,
                  "a block of this file was garbage-collected during the upload; "
                  "write it again",
                  Reason::kBlockCollected);
  }
  // The collector deleted a block after we uploaded it: upload again (the
  // publish then revives the block).
  NOKV_RETURN_IF_ERROR(reupload());
  return parts_.metadata->Publish(requests);
}

Result<meta::Attr> Filesystem::PublishStored(std::string_view path, const meta::Manifest& manifest,
                                             const meta::NodeOptions& node) {
  NOKV_RETURN_IF_ERROR(object::ValidateLayout(manifest.layout));
  for (const object::BlockRef& block : manifest.layout.blocks) {
    auto head = parts_.store->Head(object::BlockKey(block.digest));
    if (!head.ok() && !head.status().Is(Code::kNotFound)) return head.status();
    if (!head.ok() || head->size != block.length) {
      return Status::NotFound(
          "block " + DigestHex(block.digest) + " (" + std::to_string(block.length) +
          " bytes) is not in the object store" +
          (head.ok() ? " (it has " + std::to_string(head->size) + " bytes)" : ""));
    }
  }
  meta::PublishRequest request;
  request.path = path;
  request.manifest = manifest;
  request.mode = meta::PublishMode::kCreate;
  request.node = node;
  // Without bytes to upload again: a block collected since the check fails
  // the publish (Aborted, kBlockCollected) instead of being revived.
  NOKV_ASSIGN_OR_RETURN(auto attrs, PublishWithRetry({request}, {}));
  return std::move(attrs.front());
}

Result<UploadLease> UploadLease::Begin(Metadata* metadata) {
  NOKV_ASSIGN_OR_RETURN(uint64_t id, metadata->BeginUpload());
  return UploadLease(metadata, id);
}

UploadLease::UploadLease(UploadLease&& other) noexcept
    : metadata_(std::exchange(other.metadata_, nullptr)), id_(std::exchange(other.id_, 0)) {}

UploadLease& UploadLease::operator=(UploadLease&& other) noexcept {
  if (this != &other) {
    if (metadata_ != nullptr) metadata_->EndUpload(id_);
    metadata_ = std::exchange(other.metadata_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

UploadLease::~UploadLease() {
  if (metadata_ != nullptr) metadata_->EndUpload(id_);
}

class FsWriter final : public Writer {
 public:
  // Publishes to `path`, or into the file `inode` when it is not 0.
  FsWriter(Filesystem* fs, std::string path, meta::InodeId inode, const WriteOptions& options,
           UploadLease lease)
      : fs_(fs),
        path_(std::move(path)),
        inode_(inode),
        options_(options),
        lease_(std::move(lease)),
        blocks_(fs->parts_.store, &fs->io_, BlockOptions(fs)) {}

  Status Append(std::string_view data) override {
    bytes_ += data.size();
    return blocks_.Append(data);
  }

  Result<std::span<char>> Space() override { return blocks_.Space(); }

  Status Advance(size_t n) override {
    NOKV_RETURN_IF_ERROR(blocks_.Advance(n));
    bytes_ += n;
    return Status::Ok();
  }

  Result<meta::Attr> Commit() override {
    NOKV_ASSIGN_OR_RETURN(object::BodyLayout layout, blocks_.Finish());
    meta::PublishRequest request = MakeRequest(path_, layout, options_);
    request.inode = inode_;
    NOKV_ASSIGN_OR_RETURN(auto attrs, fs_->PublishWithRetry({request}, {}));
    return std::move(attrs.front());
  }

  uint64_t bytes_written() const override { return bytes_; }

 private:
  static object::BlockWriterOptions BlockOptions(Filesystem* fs) {
    object::BlockWriterOptions o;
    o.block_size = fs->parts_.block_size;
    return o;
  }

  Filesystem* fs_;
  std::string path_;
  meta::InodeId inode_;
  WriteOptions options_;
  UploadLease lease_;  // keeps our uploaded blocks from the orphan sweep
  object::BlockWriter blocks_;
  uint64_t bytes_ = 0;
};

class FsReader final : public Reader {
 public:
  FsReader(Metadata* metadata, uint64_t pin, meta::Attr attr,
           std::unique_ptr<object::BlockReader> blocks)
      : metadata_(metadata), pin_(pin), attr_(std::move(attr)), blocks_(std::move(blocks)) {}
  ~FsReader() override { metadata_->Unpin(pin_); }

  Status Read(uint64_t offset, uint64_t length, std::string* out) override {
    if (!blocks_) {
      out->clear();
      return Status::Ok();
    }
    return blocks_->Read(offset, length, out);
  }

  Status ReadTo(uint64_t offset, uint64_t length,
                const std::function<Status(std::string_view)>& sink) override {
    if (!blocks_) return Status::Ok();
    return blocks_->ReadTo(offset, length, sink);
  }

  const meta::Attr& attr() const override { return attr_; }

 private:
  Metadata* metadata_;
  uint64_t pin_;  // keeps the generation's manifest and blocks retained
  meta::Attr attr_;
  std::unique_ptr<object::BlockReader> blocks_;
};

Result<std::unique_ptr<Writer>> Filesystem::OpenWriter(std::string_view path,
                                                       const WriteOptions& options) {
  NOKV_ASSIGN_OR_RETURN(std::string normalized, meta::NormalizePath(path));
  if (normalized == "/") return Status::IsADirectory("/ is a directory");
  if (options.mode == meta::PublishMode::kCreate) {
    // Fail before uploading anything when the name is taken.
    if (auto existing = parts_.metadata->Stat(normalized, {}); existing.ok()) {
      return Status::AlreadyExists(normalized + " already exists");
    }
  }
  NOKV_ASSIGN_OR_RETURN(UploadLease lease, UploadLease::Begin(parts_.metadata.get()));
  return std::unique_ptr<Writer>(new FsWriter(this, normalized, 0, options, std::move(lease)));
}

Result<std::unique_ptr<Writer>> Filesystem::OpenWriterAt(meta::InodeId inode,
                                                         const WriteOptions& options) {
  if (options.mode == meta::PublishMode::kCreate) {
    return Status::InvalidArgument("a writer into an existing inode replaces its body");
  }
  NOKV_ASSIGN_OR_RETURN(UploadLease lease, UploadLease::Begin(parts_.metadata.get()));
  return std::unique_ptr<Writer>(new FsWriter(this, {}, inode, options, std::move(lease)));
}

Result<std::unique_ptr<Reader>> Filesystem::OpenReader(std::string_view path, const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(std::string followed, FollowLinks(path, at));
  NOKV_ASSIGN_OR_RETURN(OpenedFile file, parts_.metadata->OpenFile(followed, at));
  return MakeReader(std::move(file));
}

Result<std::unique_ptr<Reader>> Filesystem::OpenReaderAt(meta::InodeId inode, const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(OpenedFile file, parts_.metadata->OpenFileAt(inode, at));
  return MakeReader(std::move(file));
}

Result<bool> Filesystem::SameContent(std::string_view path, const std::string& local_path,
                                     const ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(std::string followed, FollowLinks(path, at));
  NOKV_ASSIGN_OR_RETURN(OpenedFile file, parts_.metadata->OpenFile(followed, at));
  parts_.metadata->Unpin(file.pin.id);  // only the manifest is needed, not the blocks
  int fd = ::open(local_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, local_path);
  struct stat st;
  if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != file.attr.size) {
    ::close(fd);
    return false;
  }
  object::BodyDigester digester(file.manifest ? file.manifest->layout : object::BodyLayout{});
  std::string buffer(1 << 20, '\0');
  Status read_status;
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) read_status = Status::FromErrno(errno, local_path);
    if (n <= 0) break;
    digester.Update(std::string_view(buffer.data(), static_cast<size_t>(n)));
  }
  ::close(fd);
  NOKV_RETURN_IF_ERROR(read_status);
  return digester.Finish() == BodyDigest(file);
}

std::unique_ptr<Reader> Filesystem::MakeReader(OpenedFile file) {
  std::unique_ptr<object::BlockReader> blocks;
  if (file.manifest) {
    blocks = std::make_unique<object::BlockReader>(parts_.store, &io_, file.manifest->layout);
  }
  return std::unique_ptr<Reader>(
      new FsReader(parts_.metadata.get(), file.pin.id, std::move(file.attr), std::move(blocks)));
}

namespace {

// Streams a local file into blocks; returns its layout and adds its block
// keys to *unsynced (the caller makes them durable, once for all files).
Result<object::BodyLayout> UploadLocalFile(object::ObjectStore* store, ThreadPool* io,
                                           uint64_t block_size, const std::string& local,
                                           const std::function<void(uint64_t)>& on_bytes,
                                           std::vector<std::string>* unsynced) {
  int fd = ::open(local.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, local);
  object::BlockWriterOptions options;
  options.block_size = block_size;
  options.defer_sync = true;
  object::BlockWriter writer(store, io, options);
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  // The file is read straight into the writer's block buffers: no copy.
  Status status;
  for (;;) {
    auto space = writer.Space();
    if (!space.ok()) {
      status = space.status();
      break;
    }
    ssize_t n = ::read(fd, space->data(), space->size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = Status::FromErrno(errno, local);
      break;
    }
    if (n == 0) break;
    status = writer.Advance(static_cast<size_t>(n));
    if (!status.ok()) break;
    if (on_bytes) on_bytes(static_cast<uint64_t>(n));
  }
  ::close(fd);
  if (!status.ok()) return status;
  NOKV_ASSIGN_OR_RETURN(object::BodyLayout layout, writer.Finish());
  unsynced->insert(unsynced->end(), writer.keys().begin(), writer.keys().end());
  return layout;
}

}  // namespace

Result<std::vector<meta::Attr>> Filesystem::PutTree(const std::vector<TreeFile>& files,
                                                    const WriteOptions& options,
                                                    const ProgressFn& progress) {
  if (options.mode == meta::PublishMode::kCreate) {
    // Fail before uploading anything when a name is taken.
    for (const auto& file : files) {
      if (parts_.metadata->Stat(file.path, {}).ok())
        return Status::AlreadyExists(file.path + " already exists");
    }
  }
  Progress state;
  state.files_total = files.size();
  for (const auto& file : files) {
    if (auto size = Env::Default()->GetFileSize(file.local_path); size.ok()) {
      state.bytes_total += *size;
    }
  }
  std::vector<meta::PublishRequest> requests;
  NOKV_ASSIGN_OR_RETURN(UploadLease lease, UploadLease::Begin(parts_.metadata.get()));
  auto upload_all = [&]() -> Status {
    requests.clear();
    std::vector<std::string> unsynced;
    for (const auto& file : files) {
      NOKV_ASSIGN_OR_RETURN(object::BodyLayout layout,
                            UploadLocalFile(
                                parts_.store, &io_, parts_.block_size, file.local_path,
                                [&](uint64_t n) {
                                  state.bytes_done += n;
                                  if (progress) progress(state);
                                },
                                &unsynced));
      state.files_done++;
      if (progress) progress(state);
      requests.push_back(MakeRequest(file.path, layout, options));
    }
    // Every block durable before the one commit that references them; one
    // batched sync for the whole tree, not one per file.
    return parts_.store->Sync(unsynced);
  };
  NOKV_RETURN_IF_ERROR(upload_all());
  return PublishWithRetry(requests, upload_all);
}

}  // namespace nokv::fs
