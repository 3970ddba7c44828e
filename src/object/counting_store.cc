// CountingStore: one Count per request, after the inner store answered.
#include "object/counting_store.h"

namespace nokv::object {

void CountingStore::Count(StoreOp op, bool ok, uint64_t bytes) {
  Counters& c = counters_[static_cast<size_t>(op)];
  c.requests.fetch_add(1, std::memory_order_relaxed);
  if (!ok) c.errors.fetch_add(1, std::memory_order_relaxed);
  if (bytes > 0) c.bytes.fetch_add(bytes, std::memory_order_relaxed);
}

Status CountingStore::Put(std::string_view key, std::string_view body, const PutOptions& options) {
  Status s = inner_->Put(key, body, options);
  Count(StoreOp::kPut, s.ok(), s.ok() ? body.size() : 0);
  return s;
}

Result<std::string> CountingStore::Get(std::string_view key) {
  auto got = inner_->Get(key);
  Count(StoreOp::kGet, got.ok(), got.ok() ? got->size() : 0);
  return got;
}

Result<std::string> CountingStore::GetRange(std::string_view key, ByteRange range) {
  auto got = inner_->GetRange(key, range);
  Count(StoreOp::kGet, got.ok(), got.ok() ? got->size() : 0);
  return got;
}

Result<size_t> CountingStore::ReadInto(std::string_view key, uint64_t offset, std::span<char> out) {
  auto got = inner_->ReadInto(key, offset, out);
  Count(StoreOp::kGet, got.ok(), got.ok() ? *got : 0);
  return got;
}

Result<ObjectInfo> CountingStore::Head(std::string_view key) {
  auto info = inner_->Head(key);
  Count(StoreOp::kHead, info.ok(), 0);
  return info;
}

Status CountingStore::Delete(std::string_view key) {
  Status s = inner_->Delete(key);
  Count(StoreOp::kDelete, s.ok(), 0);
  return s;
}

Status CountingStore::DeleteMany(std::span<const std::string> keys) {
  Status s = inner_->DeleteMany(keys);
  Count(StoreOp::kDelete, s.ok(), 0);
  return s;
}

Result<ListResult> CountingStore::List(const ListOptions& options) {
  auto listed = inner_->List(options);
  Count(StoreOp::kList, listed.ok(), 0);
  return listed;
}

Status CountingStore::Sync(std::span<const std::string> keys) {
  Status s = inner_->Sync(keys);
  Count(StoreOp::kSync, s.ok(), 0);
  return s;
}

StoreStats CountingStore::Stats() const {
  StoreStats out = inner_->Stats();  // tier figures, if any
  out.counted = true;
  for (size_t i = 0; i < kStoreOpCount; ++i) {
    out.ops[i] = StoreOpStats{counters_[i].requests.load(std::memory_order_relaxed),
                              counters_[i].errors.load(std::memory_order_relaxed),
                              counters_[i].bytes.load(std::memory_order_relaxed)};
  }
  return out;
}

}  // namespace nokv::object
