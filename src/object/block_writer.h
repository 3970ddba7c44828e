// BlockWriter: streams a body into content-addressed blocks.
//
// The caller fills block buffers, either by Append() (a copy) or in place:
// Space() hands out the free part of the current block buffer (read(2)
// straight into it) and Advance(n) accounts for what was written. Every full
// block goes to the thread pool, which makes one pass over its bytes,
// computing the block's SHA-256 (its content address) and the CRC32C of each
// chunk together, and then uploads it; so reading, hashing and writing
// overlap, and blocks are hashed in parallel. At most `max_in_flight` blocks
// are queued or uploading at once; Space/Append wait while the window is full.
// Buffers are recycled (max_in_flight + 1 of them at most). Identical blocks
// within one body are uploaded once. The body digest is derived from the
// block digests (SetBodyDigest), so no byte is hashed twice.
//
// Finish() waits for every upload, makes the blocks durable
// (ObjectStore::Sync of the body's block keys, also those found already
// stored) and returns the layout, or the first error. With `defer_sync`
// Finish skips that Sync: a caller publishing many bodies collects keys() (or
// BlockKeys(layout)) and calls store->Sync once before the commit that
// references them.
//
// Thread-safety: one thread at a time calls Space/Advance/Append/Finish (a
// writer is a stream). The pool and store must outlive the writer; the
// destructor waits for uploads still running. Must not be used from a thread
// of `pool`.
#pragma once

#include <condition_variable>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/byte_buffer.h"
#include "common/sha256.h"
#include "common/thread_pool.h"
#include "object/block.h"
#include "object/object_store.h"

namespace nokv::object {

struct BlockWriterOptions {
  uint64_t block_size = kDefaultBlockSize;
  size_t max_in_flight = kDefaultBlockConcurrency;
  // Chunk checksums recorded per block (a power of two, see
  // ValidChunkSize); 0 records none, as writers before issue #13 did.
  uint32_t chunk_size = kDefaultChunkSize;
  // Upload with if-none-match and treat AlreadyExists as success (saves the
  // overwrite on stores that check before reading the body).
  bool if_none_match = false;
  // Finish does not Sync the blocks; the caller must, before publishing.
  bool defer_sync = false;
};

class BlockWriter {
 public:
  BlockWriter(ObjectStore* store, ThreadPool* pool, const BlockWriterOptions& options = {});
  ~BlockWriter();
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;

  // Copies `data` into block buffers; uploads full blocks. Returns the first
  // upload error seen so far, if any.
  Status Append(std::string_view data);

  // The unfilled rest of the current block buffer (never empty), to be
  // filled in place and accounted for with Advance. Waits while the window of
  // blocks in flight is full. The span stays valid until the next call.
  Result<std::span<char>> Space();
  // `n` bytes (at most the last Space()'s size) were written at the start of
  // the last Space(); uploads the block when it is full.
  Status Advance(size_t n);

  // Uploads the final partial block, waits for all uploads and returns the
  // layout. The writer is finished afterwards (further calls fail).
  Result<BodyLayout> Finish();

  // Uploads all of `body` without copying it (blocks are views into it) and
  // returns its layout. `body` must stay alive until the call returns.
  static Result<BodyLayout> WriteBody(ObjectStore* store, ThreadPool* pool, std::string_view body,
                                      const BlockWriterOptions& options = {});

  uint64_t blocks_uploaded() const;  // distinct blocks actually PUT
  // The distinct block keys of the finished body (empty before Finish).
  const std::vector<std::string>& keys() const { return keys_; }

 private:
  // What one block's upload task learned about it.
  struct BlockResult {
    BlockRef ref;
    std::vector<uint32_t> crcs;
  };

  Status CheckOpen();
  // Reserves the next block index.
  size_t NextIndex();
  // Hands the current buffer (filled_ bytes) to the pool as the next block.
  void SubmitCurrent();
  // Queues block `index` for hashing and upload; `buffer` holds its bytes
  // (empty when `data` borrows from the caller) and is recycled afterwards.
  void Submit(size_t index, ByteBuffer buffer, std::string_view data);
  void UploadBlock(size_t index, std::string_view data);
  Status FirstError();

  ObjectStore* const store_;
  ThreadPool* const pool_;
  const BlockWriterOptions options_;
  BufferPool buffers_;
  ByteBuffer current_;  // the block being filled (caller's thread)
  size_t filled_ = 0;   // bytes of current_ in use
  uint64_t size_ = 0;
  bool finished_ = false;
  std::vector<std::string> keys_;  // set by Finish

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<BlockResult> blocks_;  // guarded by mu_ (filled in by upload tasks)
  std::set<Digest> uploading_;       // guarded by mu_: digests already uploaded or in flight
  size_t in_flight_ = 0;             // guarded by mu_
  uint64_t uploaded_ = 0;            // guarded by mu_
  Status error_;                     // guarded by mu_: the first upload error
};

}  // namespace nokv::object
