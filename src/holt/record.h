// Record: one version of one key, the unit the ART index points at.
//
// A key's versions form a singly linked chain, newest first, through `older`.
// The ART stores a pointer to the newest record of each key; records are
// allocated and freed by the engine (RecordAllocator), never by the index.
//
// Layout: a 24-byte header followed by the key bytes and then the value bytes
// in the same allocation, so a key with one version costs one allocation.
//
// Invariants: along a chain, seq strictly decreases; every record in a chain
// carries the same key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nokv::holt {

struct Record {
  static constexpr uint32_t kTombstoneBit = 0x80000000u;

  Record* older;  // next older version of the same key, or nullptr
  uint64_t seq;   // commit sequence that wrote this version
  uint32_t key_len;
  uint32_t value_bits;  // value length, with kTombstoneBit for a deletion

  std::string_view key() const { return {data(), key_len}; }
  std::string_view value() const { return {data() + key_len, value_bits & ~kTombstoneBit}; }
  bool tombstone() const { return (value_bits & kTombstoneBit) != 0; }
  // Bytes this record occupies (header + key + value).
  size_t footprint() const { return sizeof(Record) + key_len + value().size(); }

  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  char* data() { return reinterpret_cast<char*>(this + 1); }
};
static_assert(sizeof(Record) == 24);

// Builds a record in `mem` (at least sizeof(Record) + key + value bytes, or
// key only for a tombstone) and returns it.
Record* InitRecord(void* mem, std::string_view key, std::string_view value, uint64_t seq,
                   bool tombstone, Record* older);
// Allocates a record holding copies of `key` and `value`; a tombstone when
// `tombstone` is set (the value is then empty).
Record* NewRecord(std::string_view key, std::string_view value, uint64_t seq, bool tombstone,
                  Record* older);
// Frees one record (not its older versions).
void FreeRecord(Record* record);
// Frees a record and every older version after it.
void FreeChain(Record* newest);

}  // namespace nokv::holt
