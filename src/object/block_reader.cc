// BlockReader implementation: fetches, verification, plan execution and the
// sequential cache.
#include "object/block_reader.h"

#include <algorithm>
#include <cstring>

#include "common/crc32c.h"

namespace nokv::object {

namespace {

uint64_t MaxBlockLength(const BodyLayout& layout) {
  uint64_t max = 0;
  for (const BlockRef& ref : layout.blocks) max = std::max(max, ref.length);
  return max;
}

}  // namespace

BlockReader::BlockReader(ObjectStore* store, ThreadPool* pool, BodyLayout layout,
                         const BlockReaderOptions& options)
    : store_(store),
      pool_(pool),
      layout_(std::move(layout)),
      options_(options),
      buffers_(MaxBlockLength(layout_) + 1, options.readahead_blocks + 2) {
  uint64_t start = 0, chunk = 0;
  block_starts_.reserve(layout_.blocks.size());
  chunk_starts_.reserve(layout_.blocks.size());
  for (const BlockRef& ref : layout_.blocks) {
    block_starts_.push_back(start);
    chunk_starts_.push_back(chunk);
    start += ref.length;
    if (layout_.has_chunk_crcs()) chunk += ChunkCount(ref.length, layout_.chunk_size);
  }
  // Offsets below trust the lengths: a layout that does not add up (damaged
  // metadata) is refused by every read.
  if (Status shape = ValidateLayoutShape(layout_); !shape.ok()) {
    layout_error_ =
        Status::Corruption("the body's layout is damaged: " + std::string(shape.message()));
  }
}

BlockReader::~BlockReader() { prefetches_.Wait(); }

BlockReaderStats BlockReader::stats() const {
  std::lock_guard lock(mu_);
  BlockReaderStats stats = stats_;
  stats.cached_blocks = cache_.size();
  return stats;
}

size_t BlockReader::BlockOf(uint64_t pos) const {
  return static_cast<size_t>(std::upper_bound(block_starts_.begin(), block_starts_.end(), pos) -
                             block_starts_.begin()) -
         1;
}

bool BlockReader::NoteRead(uint64_t begin, uint64_t end) {
  bool sequential = begin > 0 && begin == last_end_ && options_.readahead_blocks > 0;
  last_end_ = end;
  return sequential;
}

Status BlockReader::Verify(const BlockFetch& fetch, std::string_view bytes,
                           const std::string& key) {
  if (!layout_.has_chunk_crcs()) {
    if (Sha256::Of(bytes) != layout_.blocks[fetch.block].digest) {
      return Status::Corruption("block " + key + " does not match its digest");
    }
    std::lock_guard lock(mu_);
    ++stats_.whole_blocks_verified;
    return Status::Ok();
  }
  const uint32_t chunk_size = layout_.chunk_size;
  uint64_t first = fetch.offset / chunk_size;
  uint64_t checked = 0;
  for (size_t pos = 0; pos < bytes.size(); pos += chunk_size, ++checked) {
    uint64_t chunk = first + checked;
    uint32_t want = layout_.chunk_crcs[chunk_starts_[fetch.block] + chunk];
    if (crc32c::Value(bytes.substr(pos, chunk_size)) != want) {
      return Status::Corruption("block " + key + " does not match its checksums (chunk " +
                                std::to_string(chunk) + ", bytes " +
                                std::to_string(chunk * chunk_size) + ".." +
                                std::to_string(chunk * chunk_size + chunk_size) + ")");
    }
  }
  std::lock_guard lock(mu_);
  stats_.chunks_verified += checked;
  return Status::Ok();
}

Status BlockReader::Fetch(const BlockFetch& fetch, ByteBuffer* buffer) {
  Status s = FetchOnce(fetch, buffer);
  if (!s.Is(Code::kCorruption)) return s;
  // A damaged copy may be a cache's: the store drops it and one more read
  // goes to the truth. Damage there too is reported.
  store_->Invalidate(BlockKey(layout_.blocks[fetch.block].digest));
  return FetchOnce(fetch, buffer);
}

Status BlockReader::FetchOnce(const BlockFetch& fetch, ByteBuffer* buffer) {
  const BlockRef& ref = layout_.blocks[fetch.block];
  std::string key = BlockKey(ref.digest);
  // A whole block is read with a byte to spare: filling it too means the
  // stored object is longer than the layout says.
  bool whole = fetch.offset == 0 && fetch.length == ref.length;
  size_t want = fetch.length;
  Result<size_t> got =
      store_->ReadInto(key, fetch.offset, std::span<char>(buffer->data(), want + (whole ? 1 : 0)));
  if (!got.ok()) return got.status().WithContext("read block");
  {
    std::lock_guard lock(mu_);
    ++stats_.fetches;
    stats_.bytes_fetched += *got;
  }
  if (*got != want) {
    return Status::Corruption("block " + key + " does not match its digest: it is " +
                              (*got < want ? "shorter" : "longer") + " than the " +
                              std::to_string(ref.length) + " bytes the layout names");
  }
  return Verify(fetch, buffer->view(want), key);
}

Result<BlockReader::Fetched> BlockReader::FetchNew(const BlockFetch& fetch) {
  bool whole = fetch.offset == 0 && fetch.length == layout_.blocks[fetch.block].length;
  Fetched fetched{ByteBuffer(fetch.length + (whole ? 1 : 0)), fetch.offset, fetch.length};
  NOKV_RETURN_IF_ERROR(Fetch(fetch, &fetched.buffer));
  return fetched;
}

Status BlockReader::ExecutePlan(const ReadPlan& plan, std::vector<std::string>* out) {
  out->clear();
  NOKV_RETURN_IF_ERROR(layout_error_);
  std::vector<Result<Fetched>> results;
  results.reserve(plan.fetches.size());
  for (size_t i = 0; i < plan.fetches.size(); ++i) results.emplace_back(Status::Aborted("unread"));
  WaitGroup group;
  for (size_t i = 1; i < plan.fetches.size(); ++i) {
    group.Add();
    pool_->Schedule([this, &plan, &results, &group, i] {
      results[i] = FetchNew(plan.fetches[i]);
      group.Done();
    });
  }
  if (!plan.fetches.empty()) results[0] = FetchNew(plan.fetches[0]);
  group.Wait();
  for (const auto& r : results) {
    if (!r.ok()) return r.status();
  }
  out->resize(plan.request_sizes.size());
  for (size_t r = 0; r < plan.request_sizes.size(); ++r) (*out)[r].resize(plan.request_sizes[r]);
  for (const ReadPiece& piece : plan.pieces) {
    std::memcpy((*out)[piece.request].data() + piece.request_offset,
                results[piece.fetch]->buffer.data() + piece.fetch_offset, piece.length);
  }
  return Status::Ok();
}

Status BlockReader::ReadV(std::span<const ByteRange> ranges, std::vector<std::string>* out) {
  ReadPlan plan =
      PlanReads(layout_.blocks, block_starts_, layout_.size, layout_.chunk_size, ranges);
  return ExecutePlan(plan, out);
}

Status BlockReader::Read(uint64_t offset, uint64_t length, std::string* out) {
  out->clear();
  NOKV_RETURN_IF_ERROR(layout_error_);
  auto [begin, end] = ClipRange(ByteRange{offset, length}, layout_.size);
  bool sequential = NoteRead(begin, end);
  if (begin == end) return Status::Ok();
  if (sequential) {
    out->resize(end - begin);
    // Captured by copy: clang before 16 cannot capture a structured binding.
    Status s = ForEachCached(begin, end - begin,
                             [out, first = begin](std::string_view bytes, uint64_t pos) {
                               std::memcpy(out->data() + (pos - first), bytes.data(), bytes.size());
                               return Status::Ok();
                             });
    if (!s.ok()) out->clear();  // earlier blocks were fine, but a failed read returns nothing
    return s;
  }
  ByteRange range{begin, end - begin};
  std::vector<std::string> parts;
  NOKV_RETURN_IF_ERROR(ReadV(std::span<const ByteRange>(&range, 1), &parts));
  *out = std::move(parts[0]);
  return Status::Ok();
}

Status BlockReader::ReadTo(uint64_t offset, uint64_t length, const Sink& sink) {
  NOKV_RETURN_IF_ERROR(layout_error_);
  auto [begin, end] = ClipRange(ByteRange{offset, length}, layout_.size);
  bool sequential = NoteRead(begin, end);
  if (begin == end) return Status::Ok();
  uint64_t one_block = layout_.blocks.front().length;
  if (sequential || end - begin >= one_block) {
    return ForEachCached(begin, end - begin,
                         [&](std::string_view bytes, uint64_t) { return sink(bytes); });
  }
  ByteRange range{begin, end - begin};
  std::vector<std::string> parts;
  NOKV_RETURN_IF_ERROR(ReadV(std::span<const ByteRange>(&range, 1), &parts));
  return sink(parts[0]);
}

std::shared_ptr<BlockReader::Slot> BlockReader::CachedBlock(size_t index, bool* hit) {
  std::lock_guard lock(mu_);
  auto it = cache_.find(index);
  *hit = it != cache_.end();
  if (*hit) return it->second;
  auto slot = std::make_shared<Slot>(&buffers_);
  cache_.emplace(index, slot);
  prefetches_.Add();
  pool_->Schedule([this, index, slot]() mutable {
    ByteBuffer buffer = buffers_.Acquire();
    BlockFetch whole{index, 0, layout_.blocks[index].length};
    Status s = Fetch(whole, &buffer);
    {
      std::lock_guard lock(mu_);
      slot->buffer = std::move(buffer);
      slot->size = whole.length;
      slot->status = s;
      slot->done = true;
    }
    done_cv_.notify_all();
    slot.reset();  // before Done: the reader (and its buffer pool) may go right after
    prefetches_.Done();
  });
  return slot;
}

Status BlockReader::ForEachCached(
    uint64_t offset, uint64_t length,
    const std::function<Status(std::string_view, uint64_t pos)>& each) {
  NOKV_RETURN_IF_ERROR(layout_error_);
  size_t first = BlockOf(offset);
  size_t last = BlockOf(offset + length - 1);
  {
    // Only blocks this read uses or reads ahead stay: a reader that seeks
    // keeps no more than a window of blocks, whatever its history.
    std::lock_guard lock(mu_);
    cache_.erase(cache_.begin(), cache_.lower_bound(first));
    cache_.erase(cache_.upper_bound(last + options_.readahead_blocks), cache_.end());
  }
  uint64_t pos = offset;
  for (size_t i = first; i <= last; ++i) {
    bool hit = false;
    std::shared_ptr<Slot> slot = CachedBlock(i, &hit);
    size_t ahead_end = std::min(layout_.blocks.size(), i + 1 + options_.readahead_blocks);
    for (size_t j = i + 1; j < ahead_end; ++j) {
      bool ahead_hit = false;
      (void)CachedBlock(j, &ahead_hit);
    }
    {
      std::unique_lock lock(mu_);
      done_cv_.wait(lock, [&] { return slot->done; });
      if (hit) ++stats_.readahead_hits;
      if (!slot->status.ok()) {
        cache_.erase(i);
        if (!hit) return slot->status;
        // A prefetch failed before this read asked: it gets one fresh fetch.
        lock.unlock();
        slot = CachedBlock(i, &hit);
        lock.lock();
        done_cv_.wait(lock, [&] { return slot->done; });
        if (!slot->status.ok()) {
          cache_.erase(i);
          return slot->status;
        }
      }
      if (i < last) cache_.erase(i);  // consumed; its buffer is recycled with `slot`
    }
    uint64_t in_block = pos - block_starts_[i];
    uint64_t take = std::min<uint64_t>(slot->size - in_block, offset + length - pos);
    NOKV_RETURN_IF_ERROR(each(slot->buffer.view(slot->size).substr(in_block, take), pos));
    pos += take;
  }
  return Status::Ok();
}

}  // namespace nokv::object
