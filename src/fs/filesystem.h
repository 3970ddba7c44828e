// Filesystem: the one API every frontend uses (CLI, FUSE, MCP, RPC server).
//
// EmbeddedFilesystem runs the metadata service and the object store
// in-process on a data directory; a remote implementation sends the same
// calls over framed RPC and moves block bytes directly to and from the object
// store. Both pass the same test suite (tests/fs).
//
// The write path streams bytes into content-addressed blocks and publishes
// them with one metadata commit; the read path turns (offset, length) into
// block reads. Frontends only translate arguments and Status codes.
//
// Thread-safety: every method may be called from any thread. Writers and
// Readers are owned by one thread at a time and must not outlive the
// Filesystem.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "meta/meta_service.h"
#include "query/service.h"

namespace nokv::fs {

// Where a read looks: the latest state, or a named snapshot.
struct ReadAt {
  std::string snapshot;  // "" = latest
};

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
  virtual const meta::Attr& attr() const = 0;
  uint64_t size() const { return attr().size; }
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

class Filesystem {
 public:
  virtual ~Filesystem() = default;

  // --- Namespace ---------------------------------------------------------
  virtual Result<meta::Attr> Stat(std::string_view path, const ReadAt& at = {}) = 0;
  // One page of a directory (entries with attributes) after `start_after`.
  virtual Result<meta::DirPage> List(std::string_view path, std::string_view start_after,
                                     size_t limit, const ReadAt& at = {}) = 0;
  virtual Result<meta::Attr> Mkdir(std::string_view path, bool parents) = 0;
  // Removes a file, symlink or empty directory; `recursive` removes a tree.
  virtual Status Remove(std::string_view path, bool recursive) = 0;
  virtual Status Rename(std::string_view from, std::string_view to, meta::RenameMode mode) = 0;
  virtual Result<meta::Attr> Link(std::string_view existing, std::string_view new_path) = 0;
  virtual Result<meta::Attr> Symlink(std::string_view path, std::string_view target) = 0;
  // Mode, owner, times and size; a size other than 0 rewrites the file as a
  // new generation (FailedPrecondition if it changed meanwhile).
  virtual Result<meta::Attr> SetAttr(std::string_view path, const meta::SetAttrRequest& req) = 0;
  virtual meta::FsTotals Totals() = 0;

  // --- Bodies ------------------------------------------------------------
  virtual Result<std::unique_ptr<Writer>> OpenWriter(std::string_view path,
                                                     const WriteOptions& options) = 0;
  virtual Result<std::unique_ptr<Reader>> OpenReader(std::string_view path,
                                                     const ReadAt& at = {}) = 0;
  // Uploads every file, then publishes them all in one commit: the set
  // appears whole or not at all.
  virtual Result<std::vector<meta::Attr>> PutTree(const std::vector<TreeFile>& files,
                                                  const WriteOptions& options,
                                                  const ProgressFn& progress = {}) = 0;

  // --- Snapshots, watch, index rules, maintenance -------------------------
  virtual Result<meta::Snapshot> CreateSnapshot(std::string_view name, std::string_view root,
                                                int64_t expires_ns) = 0;
  virtual Result<std::vector<meta::Snapshot>> ListSnapshots() = 0;
  virtual Status RetireSnapshot(std::string_view name) = 0;
  virtual Result<meta::Snapshot> RenewSnapshot(std::string_view name, int64_t expires_ns) = 0;
  virtual Result<meta::EventPage> Watch(std::string_view path, std::string_view cursor,
                                        size_t limit, std::chrono::milliseconds wait) = 0;
  virtual Status AddIndexRule(const records::IndexRule& rule) = 0;
  virtual Status RemoveIndexRule(std::string_view id) = 0;
  virtual std::vector<records::IndexRule> IndexRules() = 0;
  virtual Status Reindex(std::string_view id) = 0;
  virtual Result<meta::GcReport> CollectGarbage() = 0;
  // Checks the data directory and the object store; one line per finding,
  // problems start with "FAILED" or "MISSING".
  virtual Result<std::vector<std::string>> Doctor() = 0;

  // --- Agent verbs -------------------------------------------------------
  // Runs one of the seven read-only verbs (query/service.h) with `args`.
  virtual nlohmann::json CallVerb(std::string_view verb, const nlohmann::json& args,
                                  const query::CallControl& control = {}) = 0;
  // A verb service confined to `root` and reading at `snapshot` by default.
  virtual Result<std::unique_ptr<query::Service>> NewVerbService(
      const query::ServiceOptions& options) = 0;
};

}  // namespace nokv::fs
