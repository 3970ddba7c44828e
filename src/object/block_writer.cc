// BlockWriter implementation.
#include "object/block_writer.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "common/crc32c.h"

namespace nokv::object {

namespace {

// Without chunk checksums a block is still hashed in pieces of this size, so
// the bytes hashed stay in the CPU cache either way.
constexpr size_t kHashPiece = size_t{64} << 10;

}  // namespace

BlockWriter::BlockWriter(ObjectStore* store, ThreadPool* pool, const BlockWriterOptions& options)
    : store_(store),
      pool_(pool),
      options_(options),
      buffers_(options.block_size, options.max_in_flight + 1) {
  if (options_.block_size == 0 || options_.max_in_flight == 0) {
    error_ = Status::InvalidArgument("block size and in-flight window must be positive");
  } else if (options_.chunk_size != 0 && !ValidChunkSize(options_.chunk_size)) {
    error_ = Status::InvalidArgument("chunk size " + std::to_string(options_.chunk_size) +
                                     " is not a power of two from 16 bytes to 1 GiB");
  }
}

BlockWriter::~BlockWriter() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return in_flight_ == 0; });
}

Status BlockWriter::FirstError() {
  std::lock_guard lock(mu_);
  return error_;
}

Status BlockWriter::CheckOpen() {
  if (finished_) return Status::FailedPrecondition("BlockWriter already finished");
  return FirstError();
}

size_t BlockWriter::NextIndex() {
  std::lock_guard lock(mu_);
  blocks_.emplace_back();
  return blocks_.size() - 1;
}

Result<std::span<char>> BlockWriter::Space() {
  NOKV_RETURN_IF_ERROR(CheckOpen());
  if (current_.capacity() == 0) current_ = buffers_.Acquire();
  return std::span<char>(current_.data() + filled_, options_.block_size - filled_);
}

Status BlockWriter::Advance(size_t n) {
  NOKV_RETURN_IF_ERROR(CheckOpen());
  if (current_.capacity() == 0 || n > options_.block_size - filled_) {
    return Status::InvalidArgument("BlockWriter::Advance of more bytes than Space() offered");
  }
  filled_ += n;
  size_ += n;
  if (filled_ == options_.block_size) SubmitCurrent();
  return FirstError();
}

Status BlockWriter::Append(std::string_view data) {
  while (!data.empty()) {
    NOKV_ASSIGN_OR_RETURN(std::span<char> space, Space());
    size_t take = std::min(space.size(), data.size());
    std::memcpy(space.data(), data.data(), take);
    data.remove_prefix(take);
    NOKV_RETURN_IF_ERROR(Advance(take));
  }
  return CheckOpen();
}

void BlockWriter::SubmitCurrent() {
  size_t index = NextIndex();
  std::string_view view = current_.view(filled_);
  Submit(index, std::move(current_), view);
  current_ = ByteBuffer();
  filled_ = 0;
}

void BlockWriter::Submit(size_t index, ByteBuffer buffer, std::string_view data) {
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ < options_.max_in_flight; });
    ++in_flight_;
  }
  // The task owns the buffer (a moved ByteBuffer keeps its memory, so `data`
  // stays valid) and returns it to the pool when the upload is done.
  auto holder = std::make_shared<ByteBuffer>(std::move(buffer));
  pool_->Schedule([this, index, holder, data] {
    UploadBlock(index, data);
    buffers_.Release(std::move(*holder));
    std::lock_guard lock(mu_);
    --in_flight_;
    cv_.notify_all();
  });
}

void BlockWriter::UploadBlock(size_t index, std::string_view data) {
  // One pass: each piece is hashed and checksummed while it is in cache.
  BlockResult result;
  Sha256 hasher;
  size_t piece = options_.chunk_size != 0 ? options_.chunk_size : kHashPiece;
  if (options_.chunk_size != 0) result.crcs.reserve(ChunkCount(data.size(), options_.chunk_size));
  for (size_t pos = 0; pos < data.size(); pos += piece) {
    std::string_view bytes = data.substr(pos, piece);
    hasher.Update(bytes);
    if (options_.chunk_size != 0) result.crcs.push_back(crc32c::Value(bytes));
  }
  result.ref = BlockRef{hasher.Finish(), data.size()};
  Digest digest = result.ref.digest;
  bool upload;
  {
    std::lock_guard lock(mu_);
    blocks_[index] = std::move(result);
    upload = error_.ok() && uploading_.insert(digest).second;
  }
  if (!upload) return;
  PutOptions put;
  put.if_none_match = options_.if_none_match;
  put.sha256 = digest;
  Status s = store_->Put(BlockKey(digest), data, put);
  if (s.Is(Code::kAlreadyExists)) s = Status::Ok();
  std::lock_guard lock(mu_);
  if (s.ok()) {
    ++uploaded_;
  } else if (error_.ok()) {
    error_ = s.WithContext("upload " + BlockKey(digest));
  }
}

Result<BodyLayout> BlockWriter::Finish() {
  NOKV_RETURN_IF_ERROR(CheckOpen());
  finished_ = true;
  if (filled_ > 0) SubmitCurrent();
  current_ = ByteBuffer();
  BodyLayout layout;
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ == 0; });
    if (!error_.ok()) return error_;
    layout.blocks.reserve(blocks_.size());
    for (BlockResult& block : blocks_) {
      layout.blocks.push_back(block.ref);
      layout.chunk_crcs.insert(layout.chunk_crcs.end(), block.crcs.begin(), block.crcs.end());
    }
  }
  layout.size = size_;
  layout.chunk_size = options_.chunk_size;
  SetBodyDigest(&layout);
  keys_ = BlockKeys(layout);
  if (!options_.defer_sync) {
    NOKV_RETURN_IF_ERROR(store_->Sync(keys_).WithContext("sync blocks"));
  }
  return layout;
}

Result<BodyLayout> BlockWriter::WriteBody(ObjectStore* store, ThreadPool* pool,
                                          std::string_view body,
                                          const BlockWriterOptions& options) {
  BlockWriter writer(store, pool, options);
  NOKV_RETURN_IF_ERROR(writer.FirstError());
  writer.size_ = body.size();
  for (size_t pos = 0; pos < body.size(); pos += options.block_size) {
    if (!writer.FirstError().ok()) break;
    writer.Submit(writer.NextIndex(), ByteBuffer(), body.substr(pos, options.block_size));
  }
  return writer.Finish();
}

uint64_t BlockWriter::blocks_uploaded() const {
  std::lock_guard lock(mu_);
  return uploaded_;
}

}  // namespace nokv::object
