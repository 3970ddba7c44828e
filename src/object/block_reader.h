// BlockReader: reads byte ranges of a body stored as content-addressed blocks.
//
// A read is planned (read_plan.h): ranges are split at block boundaries and
// every block touched is fetched once, whole; independent fetches run in
// parallel on the thread pool. Every block is checked against its length and
// digest before any of its bytes are returned (a mismatch is a Corruption
// error naming the block key), so no read returns unverified bytes.
//
// Read-ahead: when a read starts where the previous one ended, the reader
// switches to sequential mode: it fetches whole blocks into a small cache and
// prefetches the next `readahead_blocks` blocks in the background.
//
// Thread-safety: one thread at a time (a reader is a cursor over one body);
// background prefetches synchronize internally. The store and pool must
// outlive the reader; the destructor waits for prefetches. Must not be used
// from a thread of `pool`.
#pragma once

#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "common/thread_pool.h"
#include "object/block.h"
#include "object/object_store.h"
#include "object/read_plan.h"

namespace nokv::object {

struct BlockReaderOptions {
  size_t readahead_blocks = 2;  // 0 disables read-ahead
};

struct BlockReaderStats {
  uint64_t fetches = 0;  // GETs issued (each of a whole block)
  uint64_t bytes_fetched = 0;
  uint64_t whole_blocks_verified = 0;
  uint64_t readahead_hits = 0;  // reads served from prefetched blocks
};

class BlockReader {
 public:
  BlockReader(ObjectStore* store, ThreadPool* pool, BodyLayout layout,
              const BlockReaderOptions& options = {});
  ~BlockReader();
  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;

  // Reads [offset, offset + length) clipped to the body into *out. On error
  // *out is empty.
  Status Read(uint64_t offset, uint64_t length, std::string* out);
  // Reads several ranges at once (one fetch per block, in parallel); out[i]
  // gets range i. On error *out is empty.
  Status ReadV(std::span<const ByteRange> ranges, std::vector<std::string>* out);

  uint64_t size() const { return layout_.size; }
  const BodyLayout& layout() const { return layout_; }
  BlockReaderStats stats() const;

 private:
  using BlockFuture = std::shared_future<std::shared_ptr<const Result<std::string>>>;

  // Fetches block `index` whole and verifies it.
  Result<std::string> Fetch(size_t index);
  Status ExecutePlan(const ReadPlan& plan, std::vector<std::string>* out);
  Status ReadSequential(uint64_t offset, uint64_t length, std::string* out);
  // The cached whole block `index`, scheduling its fetch when absent.
  BlockFuture CachedBlock(size_t index, bool* hit);

  ObjectStore* const store_;
  ThreadPool* const pool_;
  const BodyLayout layout_;
  const BlockReaderOptions options_;
  std::vector<uint64_t> block_starts_;
  uint64_t last_end_ = 0;    // caller thread only
  int sequential_runs_ = 0;  // caller thread only

  mutable std::mutex mu_;
  std::map<size_t, BlockFuture> cache_;  // guarded by mu_: whole blocks, by index
  BlockReaderStats stats_;               // guarded by mu_
  WaitGroup prefetches_;
};

}  // namespace nokv::object
