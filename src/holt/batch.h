// Batch: the unit of atomic change in Holt.
//
// A batch carries operations (put, delete, durable pin, unpin) and predicates
// checked against the latest committed state just before it applies. Either
// every predicate holds and every operation applies under one new commit
// sequence number, or nothing changes. Operations apply in the order added,
// so a later put of the same key wins. A Batch is a plain value owned by one
// thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace nokv::holt {

enum class OpType : uint8_t { kPut = 1, kDelete = 2, kPin = 3, kUnpin = 4, kMerge = 5 };

inline constexpr uint32_t kNoStamp = UINT32_MAX;

// Where the committer writes the batch's own sequence number (8 bytes,
// big-endian) into a put's key and/or value. The bytes at that offset must
// already exist (a placeholder); the WAL records the stamped result.
struct Stamp {
  uint32_t key_offset = kNoStamp;
  uint32_t value_offset = kNoStamp;
};

enum class PredicateType : uint8_t {
  kExists = 1,       // the key has a live value
  kNotExists = 2,    // the key has no live value
  kVersionIs = 3,    // the key's newest version was written at `seq` (0: absent)
  kPrefixEmpty = 4,  // no live key starts with `key`
};

struct Op {
  OpType type;
  std::string key;    // the key, or the pin name for kPin / kUnpin
  std::string value;  // kPut: the value; kMerge: the operand
  Stamp stamp;        // kPut only
};

struct Predicate {
  PredicateType type;
  std::string key;
  uint64_t seq = 0;  // kVersionIs only
};

// Short description for error messages, e.g. `not_exists "d\x00\x01foo"`.
std::string DescribePredicate(const Predicate& predicate);

class Batch {
 public:
  void Put(std::string_view key, std::string_view value, Stamp stamp = {});
  void Delete(std::string_view key);
  // Sets `key` to the engine's merge operator applied, at commit time, to
  // the key's current value and `operand` (see Options::merge_operator).
  void Merge(std::string_view key, std::string_view operand);
  // A durable pin named `name` at this batch's own sequence: readers can
  // open views at it after restarts until an Unpin removes it.
  void Pin(std::string_view name);
  void Unpin(std::string_view name);

  void RequireExists(std::string_view key);
  void RequireNotExists(std::string_view key);
  void RequireVersion(std::string_view key, uint64_t seq);
  void RequirePrefixEmpty(std::string_view prefix);

  const std::vector<Op>& ops() const { return ops_; }
  const std::vector<Predicate>& predicates() const { return predicates_; }
  bool empty() const { return ops_.empty(); }
  // True when the committer must resolve merges or stamps before applying.
  bool needs_resolution() const { return needs_resolution_; }
  // Approximate encoded size, for group sizing.
  size_t byte_size() const { return bytes_; }
  // Bytes EncodeTo writes for this batch: exact once merges are resolved (an
  // unresolved merge counts as a put of its operand). The engine refuses a
  // batch over Options::max_batch_bytes by this measure.
  size_t encoded_size() const;
  void Clear();

  // WAL payload: seq u64 | op count varint | ops (type u8, key, value for
  // puts). Only resolved batches (no merges) are encoded.
  void EncodeTo(uint64_t seq, std::string* dst) const;
  // Decodes a payload written by EncodeTo.
  static Status Decode(std::string_view payload, uint64_t* seq, Batch* batch);

 private:
  std::vector<Op> ops_;
  std::vector<Predicate> predicates_;
  size_t bytes_ = 0;
  size_t encoded_op_bytes_ = 0;  // the ops' share of encoded_size()
  bool needs_resolution_ = false;
};

}  // namespace nokv::holt
