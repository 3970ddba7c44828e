// BlockWriter implementation.
#include "object/block_writer.h"

#include <memory>

namespace nokv::object {

BlockWriter::BlockWriter(ObjectStore* store, ThreadPool* pool, const BlockWriterOptions& options)
    : store_(store), pool_(pool), options_(options) {
  if (options_.block_size == 0 || options_.max_in_flight == 0) {
    error_ = Status::InvalidArgument("block size and in-flight window must be positive");
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

Status BlockWriter::Append(std::string_view data) {
  if (finished_) return Status::FailedPrecondition("BlockWriter already finished");
  NOKV_RETURN_IF_ERROR(FirstError());
  body_hash_.Update(data);
  size_ += data.size();
  while (!data.empty()) {
    if (current_.capacity() < options_.block_size) current_.reserve(options_.block_size);
    size_t room = options_.block_size - current_.size();
    size_t take = std::min(room, data.size());
    current_.append(data.data(), take);
    data.remove_prefix(take);
    if (current_.size() == options_.block_size) {
      size_t index;
      {
        std::lock_guard lock(mu_);
        index = blocks_.size();
        blocks_.emplace_back();
      }
      std::string block = std::move(current_);
      current_ = std::string();
      std::string_view view(block);
      Submit(index, std::move(block), view);
    }
  }
  return FirstError();
}

void BlockWriter::Submit(size_t index, std::string owned, std::string_view data) {
  auto holder = std::make_shared<std::string>(std::move(owned));
  if (!holder->empty()) data = *holder;  // moving a string may move its buffer
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ < options_.max_in_flight; });
    ++in_flight_;
  }
  pool_->Schedule([this, index, holder, data] {
    UploadBlock(index, data);
    std::lock_guard lock(mu_);
    --in_flight_;
    cv_.notify_all();
  });
}

void BlockWriter::UploadBlock(size_t index, std::string_view data) {
  BlockRef ref{Sha256::Of(data), data.size()};
  bool upload;
  {
    std::lock_guard lock(mu_);
    blocks_[index] = ref;
    upload = error_.ok() && uploading_.insert(ref.digest).second;
  }
  if (!upload) return;
  PutOptions put;
  put.if_none_match = options_.if_none_match;
  put.sha256 = ref.digest;
  Status s = store_->Put(BlockKey(ref.digest), data, put);
  if (s.Is(Code::kAlreadyExists)) s = Status::Ok();
  std::lock_guard lock(mu_);
  if (s.ok()) {
    ++uploaded_;
  } else if (error_.ok()) {
    error_ = s.WithContext("upload " + BlockKey(ref.digest));
  }
}

Result<BodyLayout> BlockWriter::Finish() {
  if (finished_) return Status::FailedPrecondition("BlockWriter already finished");
  finished_ = true;
  if (!current_.empty() && FirstError().ok()) {
    size_t index;
    {
      std::lock_guard lock(mu_);
      index = blocks_.size();
      blocks_.emplace_back();
    }
    std::string block = std::move(current_);
    std::string_view view(block);
    Submit(index, std::move(block), view);
  }
  BodyLayout layout;
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ == 0; });
    if (!error_.ok()) return error_;
    layout.blocks = std::move(blocks_);
  }
  layout.digest = body_hash_.Finish();
  layout.size = size_;
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
  writer.body_hash_.Update(body);
  writer.size_ = body.size();
  size_t count = (body.size() + options.block_size - 1) / options.block_size;
  {
    std::lock_guard lock(writer.mu_);
    writer.blocks_.resize(count);
  }
  for (size_t i = 0; i < count; ++i) {
    if (!writer.FirstError().ok()) break;
    writer.Submit(i, std::string(), body.substr(i * options.block_size, options.block_size));
  }
  return writer.Finish();
}

uint64_t BlockWriter::blocks_uploaded() const {
  std::lock_guard lock(mu_);
  return uploaded_;
}

}  // namespace nokv::object
