// ResidencyIndex: which objects the hot tier of a TieredStore holds, their
// sizes and their recency (LRU), plus its on-disk form.
//
// Invariants: every key appears once; bytes() is the sum of the sizes; the
// list runs from most to least recently used.
//
// File format (docs/object-store.md, "Residency index"): the 8-byte magic
// "NKVRESI\n", a fixed32 version (1), a varint64 entry count, then per entry
// (most recent first) a length-prefixed key and a varint64 size, then a
// fixed32 masked CRC32C of everything before it. Integers big-endian.
//
// Not thread-safe: TieredStore guards it with its mutex.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"

namespace nokv::object {

inline constexpr std::string_view kResidencyMagic = "NKVRESI\n";
inline constexpr uint32_t kResidencyVersion = 1;

class ResidencyIndex {
 public:
  struct Entry {
    std::string key;
    uint64_t size = 0;
    // The hot copy is known intact: this process wrote it from bytes it had
    // checked, or read it whole and checked it. Not saved: after a reopen
    // (and so after a crash) every entry starts unverified.
    bool verified = false;
  };

  // The entry of `key` if resident, marking it most recently used. The
  // pointer is valid until the index changes.
  const Entry* Touch(std::string_view key);
  bool Contains(std::string_view key) const { return map_.contains(std::string(key)); }
  // Inserts or replaces `key` as the most recently used entry.
  void Insert(std::string_view key, uint64_t size, bool verified = false);
  // Appends `key` as the least recently used entry (rebuild from a scan).
  void InsertOldest(std::string_view key, uint64_t size);
  // Marks the entry of `key`, if any, verified.
  void MarkVerified(std::string_view key);
  bool Erase(std::string_view key);
  // Removes least recently used entries until bytes() <= capacity; returns them.
  std::vector<Entry> EvictTo(uint64_t capacity);

  uint64_t bytes() const { return bytes_; }
  size_t count() const { return map_.size(); }

  // Entries from most to least recently used.
  std::vector<Entry> Entries() const;

  std::string Encode() const;
  // Corruption on a bad magic, version, truncation or checksum.
  static Result<std::vector<Entry>> Decode(std::string_view data);

 private:
  std::list<Entry> lru_;  // front = most recently used
  std::unordered_map<std::string, std::list<Entry>::iterator> map_;
  uint64_t bytes_ = 0;
};

}  // namespace nokv::object
