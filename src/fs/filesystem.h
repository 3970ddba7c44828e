// Filesystem: the one API every frontend uses (CLI, FUSE, MCP, RPC server,
// Python).
//
// It is written once, over the metadata seam (fs/metadata.h) and an object
// store: embedded (OpenEmbedded: the metadata service in-process on a data
// directory) and remote (the same calls over framed RPC) share the write and
// read paths. Both pass the same test suite (tests/fs).
//
// The write path streams bytes into content-addressed blocks and publishes
// them with one metadata commit; the read path turns (offset, length) into
// block reads of one pinned generation. Frontends only translate arguments
// and Status codes.
//
// Thread-safety: every method may be called from any thread. Writers and
// Readers are owned by one thread at a time and must not outlive the
// Filesystem.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/thread_pool.h"
#include "fs/metadata.h"
#include "object/object_store.h"

namespace nokv::fs {

struct WriteOptions {
  meta::PublishMode mode = meta::PublishMode::kCreate;
  uint64_t expected_generation = 0;  // kReplaceIfGeneration
  std::string content_type;          // "" = guessed from the name
  std::string producer;
  bool parents = true;     // create missing parent directories
  uint32_t file_mode = 0;  // 0 = 0644
  std::string request_id;  // makes a retried publish idempotent
};

// Streams one file's bytes into blocks. Finish() publishes it.
class Writer {
 public:
  virtual ~Writer() = default;
  virtual Status Append(std::string_view data) = 0;
  // Zero-copy appends: the free rest of the current block buffer (never
  // empty), to be filled in place (read(2) into it) and accounted for with
  // Advance(n). The span is valid until the next call on the writer.
  virtual Result<std::span<char>> Space() = 0;
  virtual Status Advance(size_t n) = 0;
  // Uploads what is left and publishes the file in one commit.
  virtual Result<meta::Attr> Commit() = 0;
  virtual uint64_t bytes_written() const = 0;
};

// Reads one generation of one file; the generation stays readable while the
// reader lives (it pins its read point).
class Reader {
 public:
  virtual ~Reader() = default;
  // Reads up to `length` bytes at `offset` (short only at the end).
  virtual Status Read(uint64_t offset, uint64_t length, std::string* out) = 0;
  // Streams up to `length` bytes at `offset` to `sink`, in order, as views
  // into verified buffers (valid during the call only): no copy on the way.
  // A sink error stops the read and is returned.
  virtual Status ReadTo(uint64_t offset, uint64_t length,
                        const std::function<Status(std::string_view)>& sink) = 0;
  virtual const meta::Attr& attr() const = 0;
  uint64_t size() const { return attr().size; }
};

struct DoctorOptions {
  bool verify = false;  // read and check every block (see Filesystem::Doctor)
};

// One file of a multi-file publish (PutTree): bytes from a local file.
struct TreeFile {
  std::string path;        // destination in the namespace
  std::string local_path;  // source on the local disk
};

struct Progress {
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
  uint64_t files_done = 0;
  uint64_t files_total = 0;
};
using ProgressFn = std::function<void(const Progress&)>;

// What a Filesystem is made of. The stores are owned and outlive the
// metadata (whose collector deletes from them: declared first, destroyed
// last); `store` is where blocks go.
struct FilesystemParts {
  std::vector<std::unique_ptr<object::ObjectStore>> stores;
  std::unique_ptr<Metadata> metadata;
  object::ObjectStore* store = nullptr;
  size_t io_threads = 16;  // block uploads/downloads in flight
  uint64_t block_size = 4ull << 20;
  std::string description;  // says where the filesystem lives, for doctor
};

class Filesystem {
 public:
  explicit Filesystem(FilesystemParts parts);
  ~Filesystem();
  Filesystem(const Filesystem&) = delete;
  Filesystem& operator=(const Filesystem&) = delete;

  // --- Namespace ---------------------------------------------------------
  // Symbolic links before the last component of a path are followed by
  // every call (absolute targets from /, relative ones from the link's
  // directory; a snapshot read never leaves the snapshot's root). The last
  // one is followed by OpenReader and List (as cat and ls of a directory do),
  // not by Stat (lstat) and the changes (rm, mv, ln remove or name the link).
  Result<meta::Attr> Stat(std::string_view path, const ReadAt& at = {});
  // `path` with its last component followed while it is a link (stat -L);
  // FailedPrecondition (Reason::kSymlinkLoop) after 40 links ("too many levels of symbolic links").
  Result<std::string> FollowLinks(std::string_view path, const ReadAt& at = {});
  // One page of a directory (entries with attributes) after `start_after`.
  Result<meta::DirPage> List(std::string_view path, std::string_view start_after, size_t limit,
                             const ReadAt& at = {});
  Result<meta::Attr> Mkdir(std::string_view path, bool parents);
  // Removes a file, symlink or empty directory; `recursive` removes a tree.
  // expected_generation != 0: a file (or symlink) only while it is at that
  // generation, else FailedPrecondition; InvalidArgument for a directory.
  Status Remove(std::string_view path, bool recursive, uint64_t expected_generation = 0);
  Status Rename(std::string_view from, std::string_view to, meta::RenameMode mode);
  Result<meta::Attr> Link(std::string_view existing, std::string_view new_path);
  Result<meta::Attr> Symlink(std::string_view path, std::string_view target);
  // Mode, owner, times and size; a size other than 0 rewrites the file as a
  // new generation (FailedPrecondition if it changed meanwhile).
  Result<meta::Attr> SetAttr(std::string_view path, const meta::SetAttrRequest& req);
  Result<meta::FsTotals> Totals();

  // --- Bodies ------------------------------------------------------------
  Result<std::unique_ptr<Writer>> OpenWriter(std::string_view path, const WriteOptions& options);
  Result<std::unique_ptr<Reader>> OpenReader(std::string_view path, const ReadAt& at = {});
  // Uploads every file, then publishes them all in one commit: the set
  // appears whole or not at all.
  Result<std::vector<meta::Attr>> PutTree(const std::vector<TreeFile>& files,
                                          const WriteOptions& options,
                                          const ProgressFn& progress = {});

  // Publishes a new file at `path` whose body is `manifest`, made of blocks
  // already in the object store (a load from a dump: no byte is copied; the
  // publish takes the block references as any write does). InvalidArgument
  // when the layout breaks its invariants (object::ValidateLayout); NotFound
  // naming the first block that is not in the store, or whose stored length
  // differs from the layout's, before anything is published; AlreadyExists
  // when `path` exists. `node` gives the mode, owner and `parents`.
  Result<meta::Attr> PublishStored(std::string_view path, const meta::Manifest& manifest,
                                   const meta::NodeOptions& node);

  // --- Addressed by inode (frontends that keep inodes: FUSE) ---------------
  // As above, for the file `inode` wherever it is linked: a rename while it
  // is open does not change what is read or replaced.
  Result<std::unique_ptr<Reader>> OpenReaderAt(meta::InodeId inode, const ReadAt& at = {});
  // Replaces the body of the existing file `inode` on Commit (options.mode
  // kReplace or kReplaceIfGeneration; parents and file_mode do not apply).
  Result<std::unique_ptr<Writer>> OpenWriterAt(meta::InodeId inode, const WriteOptions& options);
  Result<meta::Attr> SetAttrAt(meta::InodeId inode, const meta::SetAttrRequest& req);

  // --- Snapshots, watch, index rules, maintenance -------------------------
  Result<meta::Snapshot> CreateSnapshot(std::string_view name, std::string_view root,
                                        int64_t expires_ns);
  Result<std::vector<meta::Snapshot>> ListSnapshots();
  Status RetireSnapshot(std::string_view name);
  Result<meta::Snapshot> RenewSnapshot(std::string_view name, int64_t expires_ns);
  Result<meta::EventPage> Watch(std::string_view path, std::string_view cursor, size_t limit,
                                std::chrono::milliseconds wait);
  Status AddIndexRule(const records::IndexRule& rule);
  Status RemoveIndexRule(std::string_view id);
  // Every stored rule with its state (ready, back-filling, ...), in id order.
  Result<std::vector<meta::RuleRecord>> IndexRules();
  Status Reindex(std::string_view id);
  Result<meta::GcReport> CollectGarbage();
  Result<meta::GcPlan> PlanGarbage();
  Result<meta::IndexProblems> IndexRuleProblems(std::string_view id, size_t examples);
  // The full consistency check and its repair (docs/fsck.md), run where the
  // metadata lives; Doctor below is its quick, client-side form.
  Result<meta::FsckReport> Fsck(const meta::FsckOptions& options);
  // Checks the metadata and the object store; one line per finding,
  // problems start with "FAILED" or "MISSING". Every block of every file
  // must be present; with `verify`, every block is also read whole and
  // checked against its SHA-256 (its key) and its chunk checksums, and every
  // body against its digest (a scrub: reads every stored byte once).
  Result<std::vector<std::string>> Doctor(const DoctorOptions& options = {});
  // Whether the local file at `local_path` has the bytes of the file at
  // `path` (links followed): same size and the same body digest, computed
  // from the local bytes the way the stored body's digest is defined. Reads
  // the local file, not the stored body.
  Result<bool> SameContent(std::string_view path, const std::string& local_path,
                           const ReadAt& at = {});

  // --- Agent verbs -------------------------------------------------------
  // Runs one of the seven read-only verbs (query/service.h) with `args`,
  // confined to `scope`.
  nlohmann::json CallVerb(std::string_view verb, const nlohmann::json& args,
                          const query::ServiceOptions& scope = {},
                          const query::CallControl& control = {});
  // Fails when `scope` cannot be served (root not a directory, unknown snapshot).
  Status CheckVerbScope(const query::ServiceOptions& scope);

  // The seam itself, for frontends that address inodes (FUSE).
  Metadata* metadata() { return parts_.metadata.get(); }
  object::ObjectStore* store() { return parts_.store; }

 private:
  friend class FsWriter;
  friend class FsReader;

  // Rewrites `attr`'s file (at its generation; by path, or by inode when
  // `path` is empty) to `size` bytes.
  Status Resize(std::string_view path, const meta::Attr& attr, uint64_t size);
  std::unique_ptr<Reader> MakeReader(OpenedFile file);
  // Publishes `requests`; when a block was collected meanwhile, re-uploads
  // via `reupload` (if given) and publishes again.
  Result<std::vector<meta::Attr>> PublishWithRetry(
      const std::vector<meta::PublishRequest>& requests, const std::function<Status()>& reupload);

  ThreadPool io_;
  FilesystemParts parts_;  // declared after io_: the metadata goes first
};

// An upload lease on the seam (Metadata::BeginUpload), released when dropped.
class UploadLease {
 public:
  static Result<UploadLease> Begin(Metadata* metadata);
  UploadLease(UploadLease&& other) noexcept;
  UploadLease& operator=(UploadLease&& other) noexcept;
  ~UploadLease();

 private:
  UploadLease(Metadata* metadata, uint64_t id) : metadata_(metadata), id_(id) {}
  Metadata* metadata_ = nullptr;
  uint64_t id_ = 0;
};

// The media type a publish records for a file name (common/media_type.h),
// application/octet-stream when the table does not know it.
std::string GuessContentType(std::string_view name);

}  // namespace nokv::fs
