// BlockReader implementation: plan execution, verification, read-ahead cache.
#include "object/block_reader.h"

#include <algorithm>
#include <cstring>

namespace nokv::object {

BlockReader::BlockReader(ObjectStore* store, ThreadPool* pool, BodyLayout layout,
                         const BlockReaderOptions& options)
    : store_(store), pool_(pool), layout_(std::move(layout)), options_(options) {
  uint64_t start = 0;
  block_starts_.reserve(layout_.blocks.size());
  for (const BlockRef& ref : layout_.blocks) {
    block_starts_.push_back(start);
    start += ref.length;
  }
}

BlockReader::~BlockReader() { prefetches_.Wait(); }

BlockReaderStats BlockReader::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

Result<std::string> BlockReader::Fetch(size_t index) {
  const BlockRef& ref = layout_.blocks[index];
  std::string key = BlockKey(ref.digest);
  Result<std::string> bytes = store_->Get(key);
  if (!bytes.ok()) return bytes.status().WithContext("read block");
  {
    std::lock_guard lock(mu_);
    ++stats_.fetches;
    stats_.bytes_fetched += bytes->size();
  }
  if (bytes->size() != ref.length || Sha256::Of(*bytes) != ref.digest) {
    return Status::Corruption("block " + key + " does not match its digest (got " +
                              std::to_string(bytes->size()) + " bytes, want " +
                              std::to_string(ref.length) + ")");
  }
  std::lock_guard lock(mu_);
  ++stats_.whole_blocks_verified;
  return bytes;
}

Status BlockReader::ExecutePlan(const ReadPlan& plan, std::vector<std::string>* out) {
  std::vector<Result<std::string>> results(plan.fetches.size(), Status::Aborted("not fetched"));
  WaitGroup group;
  for (size_t i = 1; i < plan.fetches.size(); ++i) {
    group.Add();
    pool_->Schedule([this, &plan, &results, &group, i] {
      results[i] = Fetch(plan.fetches[i].block);
      group.Done();
    });
  }
  if (!plan.fetches.empty()) results[0] = Fetch(plan.fetches[0].block);
  group.Wait();
  out->clear();
  for (const auto& r : results) {
    if (!r.ok()) return r.status();
  }
  out->resize(plan.request_sizes.size());
  for (size_t r = 0; r < plan.request_sizes.size(); ++r) (*out)[r].resize(plan.request_sizes[r]);
  for (const ReadPiece& piece : plan.pieces) {
    std::memcpy((*out)[piece.request].data() + piece.request_offset,
                results[piece.fetch]->data() + piece.fetch_offset, piece.length);
  }
  return Status::Ok();
}

Status BlockReader::ReadV(std::span<const ByteRange> ranges, std::vector<std::string>* out) {
  ReadPlan plan = PlanReads(layout_.blocks, block_starts_, layout_.size, ranges);
  return ExecutePlan(plan, out);
}

Status BlockReader::Read(uint64_t offset, uint64_t length, std::string* out) {
  auto [begin, end] = ClipRange(ByteRange{offset, length}, layout_.size);
  bool sequential = begin > 0 && begin == last_end_ && options_.readahead_blocks > 0;
  sequential_runs_ = sequential ? sequential_runs_ + 1 : 0;
  last_end_ = end;
  if (begin == end) {
    out->clear();
    return Status::Ok();
  }
  out->clear();
  if (sequential) return ReadSequential(begin, end - begin, out);
  ByteRange range{begin, end - begin};
  std::vector<std::string> parts;
  NOKV_RETURN_IF_ERROR(ReadV(std::span<const ByteRange>(&range, 1), &parts));
  *out = std::move(parts[0]);
  return Status::Ok();
}

BlockReader::BlockFuture BlockReader::CachedBlock(size_t index, bool* hit) {
  std::lock_guard lock(mu_);
  auto it = cache_.find(index);
  if (it != cache_.end()) {
    *hit = true;
    return it->second;
  }
  *hit = false;
  auto promise = std::make_shared<std::promise<std::shared_ptr<const Result<std::string>>>>();
  BlockFuture future = promise->get_future().share();
  cache_.emplace(index, future);
  prefetches_.Add();
  pool_->Schedule([this, index, promise] {
    promise->set_value(std::make_shared<const Result<std::string>>(Fetch(index)));
    prefetches_.Done();
  });
  return future;
}

Status BlockReader::ReadSequential(uint64_t offset, uint64_t length, std::string* out) {
  auto block_of = [&](uint64_t pos) {
    return static_cast<size_t>(std::upper_bound(block_starts_.begin(), block_starts_.end(), pos) -
                               block_starts_.begin()) -
           1;
  };
  size_t first = block_of(offset);
  size_t last = block_of(offset + length - 1);
  {
    std::lock_guard lock(mu_);
    cache_.erase(cache_.begin(), cache_.lower_bound(first));  // behind the cursor
  }
  std::vector<BlockFuture> needed;
  size_t hits = 0;
  for (size_t i = first; i <= last; ++i) {
    bool hit = false;
    needed.push_back(CachedBlock(i, &hit));
    hits += hit ? 1 : 0;
  }
  size_t ahead_end = std::min(layout_.blocks.size(), last + 1 + options_.readahead_blocks);
  for (size_t i = last + 1; i < ahead_end; ++i) {
    bool hit = false;
    (void)CachedBlock(i, &hit);
  }
  out->resize(length);
  uint64_t pos = offset;
  for (size_t i = first; i <= last; ++i) {
    const auto& block = needed[i - first].get();
    if (!block->ok()) {
      out->clear();  // earlier blocks were fine, but a failed read returns nothing
      std::lock_guard lock(mu_);
      cache_.erase(i);  // let a retry fetch it again
      return block->status();
    }
    uint64_t in_block = pos - block_starts_[i];
    uint64_t take = std::min<uint64_t>((*block)->size() - in_block, offset + length - pos);
    std::memcpy(out->data() + (pos - offset), (*block)->data() + in_block, take);
    pos += take;
  }
  std::lock_guard lock(mu_);
  stats_.readahead_hits += hits;
  return Status::Ok();
}

}  // namespace nokv::object
