// TieredStore: a capped LocalStore (the hot tier, LRU by bytes) in front of a
// cold ObjectStore (usually S3).
//
// - Reads: a hot hit is served locally; a miss reads the cold store and fills
//   the hot tier (read-through). A ranged miss fetches the whole object when
//   it is at most max_fill_bytes, so the next read of any range hits. The
//   fill (checking a block's bytes against its digest, writing the hot copy)
//   runs on a background thread: the read returns as soon as the cold bytes
//   arrive (up to max_pending_fill_bytes queued; beyond that a fill runs on
//   the reader's thread, which slows readers down to the hot tier's pace).
// - Writes: write-through; the cold store is written first and decides (it
//   is the truth, including for if-none-match), then the hot copy.
// - Deletes: hot copy first, then cold. List, Head and misses go to the cold
//   store. Every put or delete of a key bumps its stripe's generation; a fill
//   publishes its hot copy only if the generation it read under is still
//   current (checked under the hot store's stripe lock), so a read racing a
//   delete (or a newer put) never resurrects (or reverts) the hot copy.
// - Sync: the cold store (the truth), then the hot copies of resident keys.
// - Block keys (block.h): a hot copy this store cannot vouch for (indexed by
//   the reopen scan, so possibly torn by a crash) is read whole and checked
//   against its digest the first time it is read; a torn or damaged one is
//   dropped and the read served from the cold store. Copies it wrote itself
//   (write-through, or a fill whose bytes it checked) and copies it has
//   checked are verified: ranges of them are read in place (ReadInto), so a
//   ranged block read moves only its range. A reader that finds a verified
//   copy damaged later (a chunk checksum fails) calls Invalidate: the copy
//   is dropped and the reader's retry is served from the cold store.
// - The residency index (residency_index.h) is rebuilt on open from a scan of
//   the hot directory, ordered by the index file saved at the last close.
// - Degradation: any hot-tier failure (files deleted under it, a full disk,
//   I/O errors) is logged and the operation continues against the cold
//   store; NoSpace also shrinks the hot tier by evicting. The store never
//   fails an operation that the cold store alone could serve.
//
// Layout of `hot_dir`: objects/ (a LocalStore) and residency.idx.
// Thread-safe: one mutex guards the index; it is never held across I/O.
#pragma once

#include <array>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/env.h"
#include "common/thread_pool.h"
#include "object/local_store.h"
#include "object/object_store.h"
#include "object/residency_index.h"

namespace nokv::object {

struct TieredStoreOptions {
  uint64_t capacity_bytes = uint64_t{10} << 30;
  // Larger objects are not cached (and a ranged miss reads only its range).
  uint64_t max_fill_bytes = uint64_t{64} << 20;
  bool write_through = true;  // also keep a hot copy of what is written
  bool fsync = false;         // of hot-tier files (the cold store is the truth)
  Env* env = nullptr;         // hot-tier file I/O; nullptr = Env::Default()
  // Fill the hot tier on a background thread after a cold read (false: on
  // the reader's thread, before the read returns).
  bool async_fill = true;
  // Bytes of fills queued at once; a fill beyond that runs synchronously.
  uint64_t max_pending_fill_bytes = uint64_t{64} << 20;
};

struct TieredStats {
  uint64_t hot_hits = 0;
  uint64_t cold_reads = 0;
  uint64_t fills = 0;
  uint64_t evictions = 0;
  uint64_t hot_failures = 0;     // hot-tier errors absorbed by falling back
  uint64_t cold_mismatches = 0;  // cold block reads not cached: bytes did not match the key
  uint64_t resident_bytes = 0;
  uint64_t resident_objects = 0;
};

class TieredStore final : public ObjectStore {
 public:
  // `cold` must outlive the store.
  static Result<std::unique_ptr<TieredStore>> Open(ObjectStore* cold, const std::string& hot_dir,
                                                   const TieredStoreOptions& options = {});
  // Saves the residency index (best effort).
  ~TieredStore() override;

  using ObjectStore::Put;
  Status Put(std::string_view key, std::string_view body, const PutOptions& options) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, ByteRange range) override;
  // A verified hot copy is read in place; anything else as GetRange.
  Result<size_t> ReadInto(std::string_view key, uint64_t offset, std::span<char> out) override;
  // Drops the hot copy of `key` (counted as a hot failure).
  void Invalidate(std::string_view key) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Status DeleteMany(std::span<const std::string> keys) override;
  Result<ListResult> List(const ListOptions& options) override;
  Status Sync(std::span<const std::string> keys) override;
  std::string Describe() const override;
  // Hot hits and misses (tiered = true); requests are not counted here.
  StoreStats Stats() const override;

  // Writes residency.idx atomically (also done by the destructor), after
  // the fills queued so far.
  Status SaveIndex();
  // Waits until every fill queued so far has landed (or was dropped).
  void WaitForFills();
  TieredStats stats() const;
  bool IsResident(std::string_view key) const;

 private:
  TieredStore(ObjectStore* cold, std::string hot_dir, std::unique_ptr<LocalStore> hot,
              const TieredStoreOptions& options);
  Status RebuildIndex();
  // The current generation of `key`'s stripe; Bump advances it. Under mu_.
  uint64_t& GenerationOf(std::string_view key);
  uint64_t CurrentGeneration(std::string_view key);
  uint64_t BumpGeneration(std::string_view key);
  // Stores a hot copy of `body` read at `generation` (errors are absorbed
  // and counted; a stale fill is dropped). `verified`: the bytes are known
  // to match their key.
  void Fill(std::string_view key, std::string_view body, uint64_t generation, bool verified);
  // Fill of bytes read from the cold store: a block's bytes are checked
  // against its digest first (a mismatch is not cached). In the background
  // with async_fill.
  void FillFromCold(std::string_view key, std::string body, uint64_t generation);
  // `range` of the hot copy of `key` when resident and intact (an
  // unverified block is read whole and checked first); nullopt after
  // dropping a missing or damaged copy.
  std::optional<std::string> ReadHot(std::string_view key, ByteRange range);
  // Touches `key`; whether it is resident and can be served without a check.
  bool ResidentAndVerified(std::string_view key);
  // Forgets `key` after a failed hot read, logging anything but NotFound.
  void DropAfterHotFailure(std::string_view key, const Status& status);
  void NoteHotFailure(const Status& status, std::string_view what);

  ObjectStore* const cold_;
  const std::string hot_dir_;
  const std::string index_path_;
  const std::unique_ptr<LocalStore> hot_;
  const TieredStoreOptions options_;
  Env* const env_;

  static constexpr size_t kGenerationStripes = 256;

  mutable std::mutex mu_;
  std::condition_variable fills_done_;
  ResidencyIndex index_;                                    // guarded by mu_
  std::array<uint64_t, kGenerationStripes> generations_{};  // guarded by mu_
  TieredStats stats_;                // guarded by mu_ (resident_* computed on read)
  uint64_t pending_fill_bytes_ = 0;  // guarded by mu_
  uint64_t pending_fills_ = 0;       // guarded by mu_
  // Runs background fills; declared last so it is stopped (its queue run)
  // before the members its tasks use go away.
  std::unique_ptr<ThreadPool> fill_pool_;
};

}  // namespace nokv::object
