// BlockWriter: streams a body into content-addressed blocks.
//
// Append() feeds bytes; the writer hashes the whole body as they pass, cuts a
// block every `block_size` bytes and uploads each block on the thread pool
// (the block's own digest is computed there, in parallel), with at most
// `max_in_flight` blocks queued or uploading at once; Append blocks while the
// window is full (bounded memory: max_in_flight x block_size). Identical
// blocks within one body are uploaded once. Finish() waits for every upload,
// makes the blocks durable (ObjectStore::Sync of the body's block keys, also
// those found already stored) and returns the layout, or the first error.
// With `defer_sync` Finish skips that Sync: a caller publishing many bodies
// collects keys() (or BlockKeys(layout)) and calls store->Sync once before
// the commit that references them.
//
// Thread-safety: one thread at a time calls Append/Finish (a writer is a
// stream). The pool and store must outlive the writer; the destructor waits
// for uploads still running. Must not be used from a thread of `pool`.
#pragma once

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "common/sha256.h"
#include "common/thread_pool.h"
#include "object/block.h"
#include "object/object_store.h"

namespace nokv::object {

struct BlockWriterOptions {
  uint64_t block_size = kDefaultBlockSize;
  size_t max_in_flight = kDefaultBlockConcurrency;
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

  // Copies `data` into the current block; uploads full blocks. Returns the
  // first upload error seen so far, if any.
  Status Append(std::string_view data);

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
  // Queues block `index` for hashing and upload. `owned` holds the bytes, or
  // is empty when `data` borrows from the caller.
  void Submit(size_t index, std::string owned, std::string_view data);
  void UploadBlock(size_t index, std::string_view data);
  Status FirstError();

  ObjectStore* const store_;
  ThreadPool* const pool_;
  const BlockWriterOptions options_;
  Sha256 body_hash_;     // used by the caller's thread only
  std::string current_;  // the block being filled
  uint64_t size_ = 0;
  bool finished_ = false;
  std::vector<std::string> keys_;  // set by Finish

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<BlockRef> blocks_;  // guarded by mu_ (filled in by upload tasks)
  std::set<Digest> uploading_;    // guarded by mu_: digests already uploaded or in flight
  size_t in_flight_ = 0;          // guarded by mu_
  uint64_t uploaded_ = 0;         // guarded by mu_
  Status error_;                  // guarded by mu_: the first upload error
};

}  // namespace nokv::object
