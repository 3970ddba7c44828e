// LocalStore: an ObjectStore on a local directory, the embedded default for
// single-node use and the hot tier of TieredStore.
//
// Layout (docs/object-store.md): a key is split at '/' into segments; every
// segment is escaped (bytes outside [A-Za-z0-9_-] become %XX, an empty
// segment becomes "@"), directories get the suffix ".d" and the object is a
// plain file, so "a/b" (file `a.d/b`) and "a" (file `a`) coexist. A put writes
// `<root>/.tmp/<n>`, optionally fsyncs it, and renames it over the target, so
// a reader sees the old body or the new one, never a mix. All file I/O goes
// through an Env so tests can inject faults (NoSpace, crashes).
//
// One LocalStore per directory at a time (Open clears leftover temp files).
// Thread-safe: puts and deletes of one key serialize on a striped mutex held
// only around the final rename/remove; everything else is lock-free.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "common/env.h"
#include "object/object_store.h"

namespace nokv::object {

struct LocalStoreOptions {
  // fdatasync each body before the rename and the directory after it.
  bool fsync = false;
  // Env for all file I/O; nullptr = Env::Default(). Must outlive the store.
  Env* env = nullptr;
};

class LocalStore final : public ObjectStore {
 public:
  // Creates `root` if missing and removes leftover temp files.
  static Result<std::unique_ptr<LocalStore>> Open(const std::string& root,
                                                  const LocalStoreOptions& options = {});

  using ObjectStore::Put;
  Status Put(std::string_view key, std::string_view body, const PutOptions& options) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, ByteRange range) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Result<ListResult> List(const ListOptions& options) override;
  std::string Describe() const override { return "local:" + root_; }

  const std::string& root() const { return root_; }

  // The file that holds `key` (InvalidArgument when a segment is too long to
  // be a file name). Exposed for tests and docs.
  Result<std::string> PathForKey(std::string_view key) const;

 private:
  LocalStore(std::string root, const LocalStoreOptions& options);

  Status WriteTemp(std::string_view body, std::string* tmp_path);
  Status Publish(std::string_view key, const std::string& tmp, const std::string& path,
                 bool if_none_match);
  Status ListDir(const std::string& dir, const std::string& key_prefix, const ListOptions& options,
                 ListResult* result);
  std::mutex& StripeFor(std::string_view key);

  static constexpr size_t kStripes = 64;

  const std::string root_;
  const std::string tmp_dir_;
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
