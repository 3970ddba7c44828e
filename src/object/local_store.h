// LocalStore: an ObjectStore on a local directory, the embedded default for
// single-node use and the hot tier of TieredStore.
//
// Layout (docs/object-store.md): a key is split at '/' into segments; every
// segment is escaped (bytes outside [A-Za-z0-9_-] become %XX, an empty
// segment becomes "@"), directories get the suffix ".d" and the object is a
// plain file, so "a/b" (file `a.d/b`) and "a" (file `a`) coexist. A put writes
// a temp file in this store's own `<root>/.tmp/<id>/` (locked while the store
// is open), starts its writeback, and renames it over the target (or links it
// with if_none_match, which never replaces), so a reader sees the old body or
// the new one, never a mix. Durability comes from Sync (fdatasync of the named
// files, then of their directories up to the root) or from the `fsync` option
// on every put. All file I/O goes through an Env so tests can inject faults.
//
// Several stores (and processes) may share a directory: Open removes only
// the temp files of stores that are gone (their lock is free).
// Thread-safe: puts and deletes of one key serialize on a striped mutex held
// only around the final rename/remove; everything else is lock-free.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/env.h"
#include "object/object_store.h"

namespace nokv::object {

struct LocalStoreOptions {
  // fdatasync each body before the rename and the directory after it (every
  // put durable on return; without it, Sync makes puts durable in batches).
  bool fsync = false;
  // Env for all file I/O; nullptr = Env::Default(). Must outlive the store.
  Env* env = nullptr;
  // Reads only: Open creates, claims and sweeps nothing (it writes no byte,
  // so it works on a full disk); Put and Delete fail with NotSupported.
  bool read_only = false;
};

class LocalStore final : public ObjectStore {
 public:
  // Creates `root` if missing and removes the temp files of stores that are
  // no longer open (in this or any process).
  static Result<std::unique_ptr<LocalStore>> Open(const std::string& root,
                                                  const LocalStoreOptions& options = {});
  // Removes this store's temp directory.
  ~LocalStore() override;

  using ObjectStore::Put;
  Status Put(std::string_view key, std::string_view body, const PutOptions& options) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, ByteRange range) override;
  // pread straight into `out`.
  Result<size_t> ReadInto(std::string_view key, uint64_t offset, std::span<char> out) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Result<ListResult> List(const ListOptions& options) override;
  // fdatasyncs every named file (several at a time), then each distinct
  // directory from theirs up to the root once. NotFound names a missing key.
  Status Sync(std::span<const std::string> keys) override;
  std::string Describe() const override { return "local:" + root_; }

  // Put that runs `still_wanted` under the key's stripe lock just before the
  // object becomes visible; when it returns false nothing is published and
  // the result is Aborted. A Delete of the key serializes with that check.
  // `still_wanted` must not call into this store.
  Status PutChecked(std::string_view key, std::string_view body,
                    const std::function<bool()>& still_wanted);

  const std::string& root() const { return root_; }

  // The file that holds `key` (InvalidArgument when a segment is too long to
  // be a file name). Exposed for tests and docs.
  Result<std::string> PathForKey(std::string_view key) const;

 private:
  LocalStore(std::string root, const LocalStoreOptions& options);

  // NotSupported naming `key` when the store is read-only.
  Status RefuseIfReadOnly(std::string_view key) const;
  // Creates and locks this store's temp directory under tmp_root_.
  Status ClaimTempDir();
  // Removes the temp directories of stores that are gone.
  void SweepTempDirs();
  Status WriteTemp(std::string_view body, std::string* tmp_path);
  // The file of `key` (NotFound naming the key when there is none).
  Result<std::unique_ptr<RandomAccessFile>> OpenForRead(std::string_view key);
  Status PutImpl(std::string_view key, std::string_view body, bool if_none_match,
                 const std::function<bool()>* still_wanted);
  Status Publish(std::string_view key, const std::string& tmp, const std::string& path,
                 bool if_none_match, const std::function<bool()>* still_wanted);
  Status SyncPathsAndDirs(const std::vector<std::string>& paths);
  Status ListDir(const std::string& dir, const std::string& key_prefix, const ListOptions& options,
                 ListResult* result);
  std::mutex& StripeFor(std::string_view key);

  static constexpr size_t kStripes = 64;

  const std::string root_;
  const std::string tmp_root_;          // <root>/.tmp
  std::string tmp_dir_;                 // <root>/.tmp/<id>: this store's temp files
  std::unique_ptr<FileLock> tmp_lock_;  // <tmp_dir_>/lock, held while open
  const LocalStoreOptions options_;
  Env* const env_;
  std::atomic<uint64_t> next_tmp_{0};
  std::array<std::mutex, kStripes> stripes_;
};

// Escapes one key segment into a file name (see the layout above).
std::string EscapeSegment(std::string_view segment);
// Inverse of EscapeSegment; false on a malformed name.
bool UnescapeSegment(std::string_view name, std::string* segment);

}  // namespace nokv::object
