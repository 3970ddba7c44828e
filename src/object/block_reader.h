// BlockReader: reads byte ranges of a body stored as content-addressed blocks.
//
// Verification: no read returns a byte that was not checked. A layout with
// chunk checksums (every body written since issue #13) is checked chunk by
// chunk against its CRC32Cs, and a read fetches only the chunks it needs (a
// 16 KiB read of a 4 MiB block moves one 64 KiB chunk, not the block). A
// layout without them is checked the old way: every block touched is fetched
// whole and compared with its SHA-256. Either way a mismatch, or a block
// shorter (or, read whole, longer) than the layout says, is a Corruption error
// naming the block key, and the read returns no bytes.
//
// A read is planned (read_plan.h): ranges are split at block boundaries, each
// block's pieces become as few fetches as possible, and independent fetches
// run in parallel on the thread pool. Fetched bytes land in buffers that are
// never zero-filled (ObjectStore::ReadInto: pread for a LocalStore).
//
// Sequential reading: when a read starts where the previous one ended, and
// always for ReadTo over more than a block, the reader fetches whole blocks
// into a small cache of recycled buffers and keeps the next
// `readahead_blocks` blocks in flight on the pool. ReadTo hands the caller
// views into those verified buffers (no copy).
//
// Thread-safety: one thread at a time (a reader is a cursor over one body);
// background prefetches synchronize internally. The store and pool must
// outlive the reader; the destructor waits for prefetches. Must not be used
// from a thread of `pool`.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/byte_buffer.h"
#include "common/thread_pool.h"
#include "object/block.h"
#include "object/object_store.h"
#include "object/read_plan.h"

namespace nokv::object {

struct BlockReaderOptions {
  size_t readahead_blocks = 2;  // 0 disables read-ahead
};

struct BlockReaderStats {
  uint64_t fetches = 0;  // GETs issued (whole blocks or chunk ranges)
  uint64_t bytes_fetched = 0;
  uint64_t whole_blocks_verified = 0;  // SHA-256 checks (layouts without chunk checksums)
  uint64_t chunks_verified = 0;        // CRC32C checks
  uint64_t readahead_hits = 0;         // blocks found already fetched or in flight
  uint64_t cached_blocks = 0;          // whole blocks held now (fetched or in flight)
};

class BlockReader {
 public:
  // Receives verified bytes in body order. The view is valid during the call
  // only. A non-OK status stops the read and is returned by it.
  using Sink = std::function<Status(std::string_view)>;

  BlockReader(ObjectStore* store, ThreadPool* pool, BodyLayout layout,
              const BlockReaderOptions& options = {});
  ~BlockReader();
  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;

  // Reads [offset, offset + length) clipped to the body into *out. On error
  // *out is empty.
  Status Read(uint64_t offset, uint64_t length, std::string* out);
  // Reads several ranges at once (fetches in parallel); out[i] gets range i.
  // On error *out is empty.
  Status ReadV(std::span<const ByteRange> ranges, std::vector<std::string>* out);
  // Streams [offset, offset + length) clipped to the body to `sink` without
  // copying. Bytes already passed to the sink before an error stay passed;
  // every one of them was verified.
  Status ReadTo(uint64_t offset, uint64_t length, const Sink& sink);

  uint64_t size() const { return layout_.size; }
  const BodyLayout& layout() const { return layout_; }
  BlockReaderStats stats() const;

 private:
  // Bytes [offset, offset + size) of a block, verified.
  struct Fetched {
    ByteBuffer buffer;
    uint64_t offset = 0;
    size_t size = 0;
    std::string_view view() const { return buffer.view(size); }
  };
  // A whole block in the sequential cache, fetched in the background.
  // Invariant: `buffer` and `status` are set before `done` (under mu_).
  struct Slot {
    explicit Slot(BufferPool* pool) : pool(pool) {}
    ~Slot() { pool->Release(std::move(buffer)); }
    BufferPool* pool;
    bool done = false;  // guarded by mu_
    Status status;
    ByteBuffer buffer;
    size_t size = 0;
  };

  // Fetches and verifies `fetch` into `buffer` (sized for it, plus one byte
  // for a whole-block fetch, which must not find more bytes than expected).
  // On damage the store is told (Invalidate) and the fetch runs once more.
  Status Fetch(const BlockFetch& fetch, ByteBuffer* buffer);
  Status FetchOnce(const BlockFetch& fetch, ByteBuffer* buffer);
  Status Verify(const BlockFetch& fetch, std::string_view bytes, const std::string& key);
  Result<Fetched> FetchNew(const BlockFetch& fetch);
  Status ExecutePlan(const ReadPlan& plan, std::vector<std::string>* out);
  // Sequential reads through the cache: `each` gets the verified part of
  // every block the range covers, in order.
  Status ForEachCached(uint64_t offset, uint64_t length,
                       const std::function<Status(std::string_view, uint64_t pos)>& each);
  // The cached whole block `index`, scheduling its fetch when absent.
  std::shared_ptr<Slot> CachedBlock(size_t index, bool* hit);
  size_t BlockOf(uint64_t pos) const;
  // Whether a read starting at `begin` continues the previous one.
  bool NoteRead(uint64_t begin, uint64_t end);

  ObjectStore* const store_;
  ThreadPool* const pool_;
  const BodyLayout layout_;
  const BlockReaderOptions options_;
  Status layout_error_;  // a layout whose checksums do not fit its blocks
  std::vector<uint64_t> block_starts_;
  std::vector<uint64_t> chunk_starts_;  // index of block i's first CRC in chunk_crcs
  uint64_t last_end_ = 0;               // caller thread only
  BufferPool buffers_;                  // whole-block buffers (outlives cache_)

  mutable std::mutex mu_;
  std::condition_variable done_cv_;                // a slot became done
  std::map<size_t, std::shared_ptr<Slot>> cache_;  // guarded by mu_: whole blocks, by index
  BlockReaderStats stats_;                         // guarded by mu_
  WaitGroup prefetches_;
};

}  // namespace nokv::object
