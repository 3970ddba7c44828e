// Whole-file transfers between the local disk (or memory) and NoKV that the
// binding runs without the GIL: download to a local file, publish bytes
// held in memory, and a file's content digest.
//
// Thread-safety: as fs::Filesystem (any thread).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "fs/filesystem.h"

namespace nokv::python {

// Writes the file `path` (at `at`) to `local_path` (created or truncated),
// streaming it in large sequential reads. Returns the attributes of the
// generation written.
Result<meta::Attr> DownloadFile(fs::Filesystem* fs, std::string_view path, const fs::ReadAt& at,
                                const std::string& local_path);

// Publishes `data` as the body of `path` in one commit.
Result<meta::Attr> PublishBytes(fs::Filesystem* fs, std::string_view path, std::string_view data,
                                const fs::WriteOptions& options);

// The file's attributes with its body digest ("sha256:<hex>", or
// "sha256-blocks:<hex>" for bodies of two or more blocks; docs/object-store.md),
// both of one generation.
struct DigestedAttr {
  meta::Attr attr;
  std::string digest;
};
Result<DigestedAttr> StatWithDigest(fs::Filesystem* fs, std::string_view path,
                                    const fs::ReadAt& at);

}  // namespace nokv::python
