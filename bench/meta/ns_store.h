// NsStore: a namespace (filesystem metadata) service under test, as the
// meta workloads see it. NoKV's MetaService and the SQLite peer in the
// JuiceFS shape both implement it, so both run the same loops, names and timing.
//
// Paths are absolute ("/mdtest/dir.3/file.mdtest.17"); directories are also
// addressed by the id (inode) Mkdir returned, as a FUSE client would after
// its lookup. Neither side caches path components: every by-path call
// resolves each component against the store.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "bench/common/report.h"
#include "common/result.h"

namespace nokv::bench {

class NsStore {
 public:
  virtual ~NsStore() = default;
  // Makes the directory `path` (its parent exists); returns its id.
  virtual Result<uint64_t> Mkdir(std::string_view path) = 0;
  // Creates the empty files `names` in directory `dir` (at `dir_path`), all
  // in one commit.
  virtual Status CreateFiles(uint64_t dir, std::string_view dir_path,
                             std::span<const std::string> names) = 0;
  // stat(2) by path: resolves every component and reads the attributes.
  virtual Status Stat(std::string_view path) = 0;
  // A FUSE lookup: the entry `name` of `dir` and its attributes.
  virtual Status Lookup(uint64_t dir, std::string_view name) = 0;
  // unlink(2) by path, one commit.
  virtual Status Remove(std::string_view path) = 0;
  // Lists `dir` in name order with attributes, `page` entries per call
  // (readdirplus); returns the number of entries seen.
  virtual Result<uint64_t> ListAll(uint64_t dir, size_t page) = 0;
  virtual Result<Footprint> Measure() = 0;
};

// How to open a fresh store of one configuration, with its report labels.
struct NsSpec {
  std::string system;      // "nokv" or "sqlite"
  std::string config;      // e.g. "wal=none", "synchronous=OFF"
  std::string durability;  // "none", "group", "sync"
  std::function<Result<std::unique_ptr<NsStore>>(const std::string& dir)> open;
};

}  // namespace nokv::bench
