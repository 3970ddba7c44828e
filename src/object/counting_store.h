// CountingStore: an ObjectStore decorator that counts requests, errors and
// body bytes per kind of request (StoreOp) and passes everything through.
// Stats() reports its counters together with the tier figures of the store
// it wraps (a TieredStore's hot hits and misses).
//
// The filesystem wraps the store it writes blocks to (fs/embedded.cc), so a
// server can export what its object store does (/metrics).
//
// Thread-safe: the counters are atomics; every method may be called from any
// thread.
#pragma once

#include <atomic>
#include <memory>

#include "object/object_store.h"

namespace nokv::object {

class CountingStore final : public ObjectStore {
 public:
  // `inner` must outlive this store.
  explicit CountingStore(ObjectStore* inner) : inner_(inner) {}

  using ObjectStore::Put;
  Status Put(std::string_view key, std::string_view body, const PutOptions& options) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, ByteRange range) override;
  Result<size_t> ReadInto(std::string_view key, uint64_t offset, std::span<char> out) override;
  void Invalidate(std::string_view key) override { inner_->Invalidate(key); }
  Result<ObjectInfo> Head(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Status DeleteMany(std::span<const std::string> keys) override;
  Result<ListResult> List(const ListOptions& options) override;
  Status Sync(std::span<const std::string> keys) override;
  std::string Describe() const override { return inner_->Describe(); }
  StoreStats Stats() const override;

 private:
  struct Counters {
    std::atomic<uint64_t> requests{0};
    std::atomic<uint64_t> errors{0};
    std::atomic<uint64_t> bytes{0};
  };
  void Count(StoreOp op, bool ok, uint64_t bytes);

  ObjectStore* const inner_;
  std::array<Counters, kStoreOpCount> counters_;
};

}  // namespace nokv::object
