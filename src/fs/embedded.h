// Opening a data directory: the Filesystem with its metadata service
// in-process (LocalMetadata) and its block store.
//
// Layout of a data directory (docs/data-dir.md):
//   <dir>/NOKV       marker with the format version, written by Create()
//   <dir>/meta/      the Holt engine (WAL, checkpoints, LOCK)
//   <dir>/objects/   block objects when the store is local (or the hot tier)
#pragma once

#include <chrono>
#include <memory>
#include <optional>
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
  // Open for reading only (docs/holt.md#read-only-opens): the engine and a
  // local object store write nothing, so reads work on a full disk and
  // alongside other readers; every change fails with NotSupported. Not with
  // create_if_missing. A tiered store's hot tier still fills on reads.
  bool read_only = false;
  // For operations that free space (rm, gc): give back the engine's space
  // reserve before opening, so their commits fit on a full disk; it is
  // re-created at close when space allows (docs/holt.md#space-reserve).
  bool release_reserve = false;
  // Watch retention (docs/metadata.md "Retention"): collection runs keep at
  // most this many events and none older than this age. Unset: the metadata
  // service's defaults (1,000,000 events, 7 days). Not stored: each opener
  // of the data directory applies its own.
  std::optional<uint64_t> watch_retention_events;
  std::optional<std::chrono::seconds> watch_retention_age;
  // How old an unreferenced block must be before the orphan sweep deletes
  // it (docs/metadata.md "Garbage collection"). Unset: the metadata
  // service's default (1 h). Uploads this process leases are protected
  // whatever the grace; the grace covers writers it cannot see (another
  // data directory on the same store prefix) and clock skew. Not stored.
  std::optional<std::chrono::seconds> orphan_grace;
};

// Bytes of the space reserve a writable open keeps in <data_dir>/meta.
inline constexpr uint64_t kReserveBytes = 4ull << 20;

// The object store `options` names, opened without the metadata (restores
// and tools). A local or tiered store's directory is created.
struct OpenedStore {
  std::unique_ptr<object::ObjectStore> cold;  // the S3 tier under a tiered store
  std::unique_ptr<object::ObjectStore> store;
  object::ObjectStore* get() const { return store.get(); }
};
Result<OpenedStore> OpenObjectStore(const EmbeddedOptions& options);

// Initializes a data directory (idempotent: an existing one is reused).
Status InitDataDir(const EmbeddedOptions& options);

// Opens the filesystem in options.data_dir. NotFound (with a hint to run
// `nokv init`) when the directory was never initialized; Busy naming the
// holder's pid when another process has it open (for writing, or for
// reading when this open is writable); Corruption naming the file and offset
// when the metadata is damaged.
Result<std::unique_ptr<Filesystem>> OpenEmbedded(const EmbeddedOptions& options);
// The same, as parts: for a process that takes over a data directory whose
// Filesystem already exists (server/shared.h) and needs only its metadata.
Result<FilesystemParts> OpenEmbeddedParts(const EmbeddedOptions& options);

}  // namespace nokv::fs
