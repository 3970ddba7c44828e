// ShapeStore: a metadata store under test, seen through the filesystem shape.
//
// The generic workloads (workloads.cc) drive Holt and the SQLite peer through
// this one interface, so both sides run the same loop, the same key stream
// and the same timing code.
//
// Thread-safety: Create() may be called from any number of threads at once
// (each implementation states how it serializes). Lookup() and Footprint()
// are called from one thread at a time, never concurrently with Create().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bench/common/report.h"
#include "common/result.h"
#include "fs_shape.h"

namespace nokv::bench {

class ShapeStore {
 public:
  virtual ~ShapeStore() = default;
  // Commits all of `creates` atomically (one Holt batch, one SQLite transaction).
  virtual Status Create(std::span<const CreateOp> creates) = 0;
  // Reads the inode record (dentry = false) or the directory entry of `op`.
  // NotFound if absent.
  virtual Status Lookup(const CreateOp& op, bool dentry) = 0;
  virtual Result<Footprint> Measure() = 0;
};

// How to open a fresh store of one configuration, with its report labels.
struct StoreSpec {
  std::string system;      // "holt" or "sqlite"
  std::string config;      // e.g. "wal=none", "synchronous=NORMAL"
  std::string durability;  // "sync", "group", "none" (SQLite: its closest equivalent)
  std::function<Result<std::unique_ptr<ShapeStore>>(const std::string& dir)> open;
};

}  // namespace nokv::bench
