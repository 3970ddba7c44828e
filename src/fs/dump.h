// Dump and load: a versioned, streaming export of a subtree of the namespace
// as JSON lines, and its import into a (possibly other) namespace that shares
// the object store (docs/formats/dump.md).
//
// A dump reads one pinned generation of the namespace (writers running
// meanwhile do not tear it) and lists block references, never bytes: a load
// publishes manifests over blocks the target's object store already holds.
// Both stream: the dumper walks the tree a page of a directory at a time and
// the loader applies each line as it comes, so memory is bounded by the depth
// of the tree, one directory page per level and one manifest, plus the first
// path of every file with more than one link (docs/formats/dump.md, "Memory").
//
// Both run over the Filesystem facade and its metadata seam, so they work
// embedded and through a server alike.
//
// Thread-safety: DumpNamespace may be called from any thread; a DumpLoader is
// used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "fs/filesystem.h"

namespace nokv::fs {

inline constexpr std::string_view kDumpFormat = "nokv-dump";
inline constexpr uint64_t kDumpVersion = 1;

struct DumpOptions {
  std::string root = "/";  // the subtree to dump
  size_t page = 512;       // directory entries read per call
  int64_t now_ns = 0;      // the header's time (0: the clock)
};

// What a dump or a load covered, as its trailer counts it.
struct DumpCounts {
  uint64_t entries = 0;  // directories, files, symlinks and extra hard links
  uint64_t files = 0;    // regular files (first links)
  uint64_t bytes = 0;    // their sizes
  uint64_t rules = 0;    // index rules
};

struct DumpSummary {
  uint64_t seq = 0;  // the generation dumped
  DumpCounts counts;
};

// Writes the dump of `options.root` to `sink`, one line (ending in '\n') per
// call. A sink error stops the dump and is returned. NotFound when the root
// does not exist, NotADirectory when it is not a directory.
Result<DumpSummary> DumpNamespace(Filesystem& fs, const DumpOptions& options,
                                  const std::function<Status(std::string_view line)>& sink);

// The longest dump line a load reads (a file entry of a few TiB in 4 MiB
// blocks with chunk checksums); a longer one is refused, not buffered.
inline constexpr size_t kMaxDumpLineBytes = 256ull << 20;

// Reads the next line of `in` (without its '\n') into *line: false at the end
// of the input (a last line without '\n' still counts); TooLarge once a line
// passes `limit` bytes (what was read of it is dropped).
Result<bool> ReadDumpLine(std::istream& in, std::string* line, size_t limit = kMaxDumpLineBytes);

struct LoadOptions {
  std::string into = "/";   // where the dump's root lands
  std::string rule_prefix;  // prepended to every loaded index rule's id
};

// Applies a dump line by line. Errors name the line number; nothing that
// exists is overwritten (AlreadyExists naming the path); a file whose blocks
// are not all in the store is not published (NotFound naming the file and
// the block). A load is not atomic: what was applied before an error stays.
class DumpLoader {
 public:
  DumpLoader(Filesystem* fs, LoadOptions options);
  ~DumpLoader();
  DumpLoader(const DumpLoader&) = delete;
  DumpLoader& operator=(const DumpLoader&) = delete;

  // Applies the next line (without its '\n').
  Status Line(std::string_view line);
  // After the last line: Corruption ("truncated dump") unless the trailer was
  // read; returns what was loaded.
  Result<DumpCounts> Finish();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nokv::fs
