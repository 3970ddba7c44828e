// Opening a data directory: the Filesystem with its metadata service
// in-process (LocalMetadata) and its block store.
//
// Layout of a data directory (docs/data-dir.md):
//   <dir>/NOKV       marker with the format version, written by Create()
//   <dir>/meta/      the Holt engine (WAL, checkpoints, LOCK)
//   <dir>/objects/   block objects when the store is local (or the hot tier)
#pragma once

#include <memory>
#include <string>

#include "fs/filesystem.h"
#include "object/s3_options.h"

namespace nokv::fs {

struct StoreConfig {
  enum class Kind { kLocal, kS3, kTiered, kMemory };
  Kind kind = Kind::kLocal;
  object::S3Options s3;                          // kS3 and kTiered (the cold tier)
  uint64_t tiered_capacity_bytes = 10ull << 30;  // kTiered hot-tier size
};

// When a commit is acknowledged (holt's durability levels, docs/holt.md).
enum class Durability {
  kSync,   // after its WAL record is on disk (fdatasync, shared by a group)
  kGroup,  // after it is written; synced in the background
  kNone,   // never synced (tests, benchmarks)
};

struct EmbeddedOptions {
  std::string data_dir = "./nokv-data";
  StoreConfig store;
  Durability durability = Durability::kSync;
  size_t io_threads = 16;  // block uploads/downloads in flight
  uint64_t block_size = 4ull << 20;
  bool create_if_missing = false;  // Open on a directory without NOKV fails otherwise
};

// Initializes a data directory (idempotent: an existing one is reused).
Status InitDataDir(const EmbeddedOptions& options);

// Opens the filesystem in options.data_dir. NotFound (with a hint to run
// `nokv init`) when the directory was never initialized; Busy naming the
// holder's pid when another process has it open.
Result<std::unique_ptr<Filesystem>> OpenEmbedded(const EmbeddedOptions& options);

}  // namespace nokv::fs
