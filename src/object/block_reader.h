// BlockReader: reads byte ranges of a body stored as content-addressed blocks.
//
// A read is planned (read_plan.h): ranges are split at block boundaries and
// coalesced; independent fetches run in parallel on the thread pool. Every
// whole block fetched is checked against its digest (a mismatch is a
// Corruption error naming the block key). Partial-block fetches cannot be
// verified and are only checked for length.
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
  ReadPlanOptions plan;
  size_t readahead_blocks = 2;  // 0 disables read-ahead
};

struct BlockReaderStats {
  uint64_t fetches = 0;  // GETs issued (whole or ranged)
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

  // Reads [offset, offset + length) clipped to the body into *out.
  Status Read(uint64_t offset, uint64_t length, std::string* out);
  // Reads several ranges at once (coalesced, in parallel); out[i] gets range i.
  Status ReadV(std::span<const ByteRange> ranges, std::vector<std::string>* out);

  uint64_t size() const { return layout_.size; }
  const BodyLayout& layout() const { return layout_; }
  BlockReaderStats stats() const;

 private:
  using BlockFuture = std::shared_future<std::shared_ptr<const Result<std::string>>>;

  // Fetches one planned range (whole blocks verified).
  Result<std::string> Fetch(const BlockFetch& fetch);
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
