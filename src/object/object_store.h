// ObjectStore: the interface every object backend implements (memory, local
// directory, S3, tiered). It knows keys and bytes only.
//
// Keys are non-empty byte strings of at most kMaxKeyBytes; '/' has no special
// meaning to the interface (backends may use it for layout). Objects are
// immutable values: a put replaces the whole object. Semantics shared by every
// backend (tests/object/store_conformance_test.cc checks them):
//   - Get of a missing key is NotFound; a ranged get is clipped to the object
//     (a range starting at or past the end yields empty bytes, not an error).
//   - Put with if_none_match fails with AlreadyExists when the key exists.
//   - Delete of a missing key succeeds (S3 semantics); DeleteMany likewise.
//   - List returns keys in byte order, strictly after start_after, with the
//     given prefix, at most `limit` of them (0 = no limit); `truncated` says
//     more remain (continue with start_after = last key).
//   - Durability: after Sync(keys) returns OK the named objects survive a
//     crash or power loss. A Put alone promises only what the backend
//     promises (S3 and memory: durable as far as they go; a local directory:
//     not until Sync). Callers that publish references to objects (metadata
//     naming blocks) call Sync before the commit that references them.
// Errors carry the backend's message; credentials never appear in them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/sha256.h"
#include "common/status.h"

namespace nokv::object {

inline constexpr size_t kMaxKeyBytes = 1024;

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // backend-defined (S3: quoted ETag); may be empty
  // When the current body was stored (Put time; nanoseconds since the Unix
  // epoch); 0 when the backend does not know. A re-Put gives a fresh time.
  int64_t last_modified_ns = 0;
};

struct PutOptions {
  // Fail with AlreadyExists instead of replacing an existing object.
  bool if_none_match = false;
  // SHA-256 of the body when the caller already knows it (blocks do); S3 uses
  // it as the signed payload hash instead of hashing the body again.
  std::optional<Digest> sha256;
};

// A byte range of an object: [offset, offset + length), clipped to its size.
struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct ListOptions {
  std::string prefix;
  std::string start_after;
  size_t limit = 0;  // 0 = no limit
};

struct ListResult {
  std::vector<ObjectInfo> objects;
  bool truncated = false;
};

// The kinds of request a store counts (StoreStats::ops). GetRange counts as
// a get; one DeleteMany call counts as one delete request.
enum class StoreOp : uint8_t { kPut, kGet, kHead, kDelete, kList, kSync };
inline constexpr size_t kStoreOpCount = 6;
// "put", "get", "head", "delete", "list", "sync" (metric labels).
const char* StoreOpName(StoreOp op);

struct StoreOpStats {
  uint64_t requests = 0;
  uint64_t errors = 0;  // requests that returned an error (NotFound included)
  uint64_t bytes = 0;   // body bytes: sent by puts, received by gets
};

// What a store has counted since it was opened. A store that counts nothing
// reports zeros (counted = false); CountingStore (counting_store.h) counts
// requests for any store.
struct StoreStats {
  bool counted = false;
  std::array<StoreOpStats, kStoreOpCount> ops{};  // indexed by StoreOp
  // Hot tier of a TieredStore: reads served from the local copy, and reads
  // that went to the cold store.
  bool tiered = false;
  uint64_t hot_hits = 0;
  uint64_t hot_misses = 0;

  const StoreOpStats& op(StoreOp kind) const { return ops[static_cast<size_t>(kind)]; }
};

// Thread-safe: every method may be called concurrently from any thread.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  virtual Status Put(std::string_view key, std::string_view body, const PutOptions& options) = 0;
  Status Put(std::string_view key, std::string_view body) { return Put(key, body, PutOptions{}); }

  // Whole object.
  virtual Result<std::string> Get(std::string_view key) = 0;
  // A byte range, clipped to the object's size.
  virtual Result<std::string> GetRange(std::string_view key, ByteRange range) = 0;
  // Reads bytes [offset, offset + out.size()) of `key` into `out`, clipped to
  // the object: returns how many were read (fewer than out.size() only when
  // the object ends sooner). Counts as a get. Default: GetRange and a copy;
  // stores that can read in place (LocalStore: pread) override it.
  virtual Result<size_t> ReadInto(std::string_view key, uint64_t offset, std::span<char> out);

  // A reader found the bytes it got for `key` damaged. A store that keeps a
  // copy of the object besides the truth (a cache tier) drops that copy, so
  // the next read goes to the truth. Default: nothing to drop.
  virtual void Invalidate(std::string_view key) { (void)key; }

  virtual Result<ObjectInfo> Head(std::string_view key) = 0;
  virtual Status Delete(std::string_view key) = 0;
  // Deletes every key (missing ones are fine). Default: one Delete per key.
  virtual Status DeleteMany(std::span<const std::string> keys);
  virtual Result<ListResult> List(const ListOptions& options) = 0;

  // After OK, the named objects (which must exist: NotFound otherwise, on
  // stores that can tell) survive a crash or power loss, whoever wrote them.
  // One call for many keys is cheaper than one call per key. Default OK: for
  // stores whose Put is already durable (S3, memory).
  virtual Status Sync(std::span<const std::string> keys);

  // A short description for logs and benchmarks ("local:/path", "s3://bucket").
  virtual std::string Describe() const = 0;

  // Request counters and tier figures so far. Default: nothing counted.
  virtual StoreStats Stats() const { return StoreStats{}; }
};

// InvalidArgument unless `key` is a usable object key (non-empty, at most
// kMaxKeyBytes, no NUL byte).
Status ValidateKey(std::string_view key);

// Clips `range` to an object of `size` bytes: returns the [begin, end) pair.
std::pair<uint64_t, uint64_t> ClipRange(ByteRange range, uint64_t size);

}  // namespace nokv::object
