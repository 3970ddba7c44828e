// RecordArena: allocation of Records without per-allocation overhead.
//
// Records up to kMaxSmall bytes come from 256 KiB slabs in size classes of 8
// bytes, with an intrusive free list per class; larger ones use malloc. A
// malloc'd record pays an 8-byte header and rounding to 16 bytes; at a
// million files with two small records each that is most of the metadata
// budget's slack (docs/benchmarks.md, E5). Slabs are returned to the system
// only when the arena is destroyed.
//
// Thread-safety: none. The engine calls it with its tree lock held
// exclusively (or during Open, before other threads exist).
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "holt/record.h"

namespace nokv::holt {

class RecordArena {
 public:
  static constexpr size_t kMaxSmall = 1024;
  static constexpr size_t kSlabBytes = 256 * 1024;

  RecordArena() = default;
  ~RecordArena();
  RecordArena(const RecordArena&) = delete;
  RecordArena& operator=(const RecordArena&) = delete;

  Record* New(std::string_view key, std::string_view value, uint64_t seq, bool tombstone,
              Record* older);
  void Free(Record* record);
  // Frees a record and every older version after it.
  void FreeChain(Record* newest);

  // Bytes taken from the system: slabs plus large records.
  size_t bytes_reserved() const { return slab_bytes_ + large_bytes_; }

 private:
  static size_t ClassOf(size_t bytes) { return (bytes + 7) / 8; }
  void* AllocateSmall(size_t size_class);

  struct FreeBlock {
    FreeBlock* next;
  };
  std::array<FreeBlock*, kMaxSmall / 8 + 1> free_{};
  std::vector<std::unique_ptr<char[]>> slabs_;
  char* cursor_ = nullptr;
  size_t left_ = 0;
  size_t slab_bytes_ = 0;
  size_t large_bytes_ = 0;
};

}  // namespace nokv::holt
