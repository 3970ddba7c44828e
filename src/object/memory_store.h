// MemoryStore: an ObjectStore held in a std::map, for tests and benchmarks.
// Each object remembers when it was put (from the clock given at
// construction, the wall clock by default) as its last_modified_ns.
//
// Thread-safe: one shared_mutex guards the map; bodies are copied in and out
// under it (no I/O happens here).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <shared_mutex>
#include <string>

#include "object/object_store.h"

namespace nokv::object {

class MemoryStore final : public ObjectStore {
 public:
  // Nanoseconds since the Unix epoch.
  using Clock = std::function<int64_t()>;
  // `clock` stamps puts; nullptr = the system wall clock.
  explicit MemoryStore(Clock clock = nullptr);

  using ObjectStore::Put;
  Status Put(std::string_view key, std::string_view body, const PutOptions& options) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, ByteRange range) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Result<ListResult> List(const ListOptions& options) override;
  std::string Describe() const override { return "memory"; }

  // Number of objects and their total size (test assertions).
  size_t object_count() const;
  uint64_t total_bytes() const;

 private:
  struct Object {
    std::string body;
    int64_t modified_ns = 0;
  };

  const Clock clock_;
  mutable std::shared_mutex mu_;
  std::map<std::string, Object, std::less<>> objects_;  // guarded by mu_
};

}  // namespace nokv::object
