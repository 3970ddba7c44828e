// Slab allocation of records in 8-byte size classes.
#include "holt/record_arena.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace nokv::holt {

RecordArena::~RecordArena() = default;

void* RecordArena::AllocateSmall(size_t size_class) {
  if (FreeBlock* block = free_[size_class]) {
    free_[size_class] = block->next;
    return block;
  }
  size_t bytes = size_class * 8;
  if (left_ < bytes) {
    slabs_.push_back(std::make_unique<char[]>(kSlabBytes));
    cursor_ = slabs_.back().get();
    left_ = kSlabBytes;
    slab_bytes_ += kSlabBytes;
  }
  void* out = cursor_;
  cursor_ += bytes;
  left_ -= bytes;
  return out;
}

Record* RecordArena::New(std::string_view key, std::string_view value, uint64_t seq, bool tombstone,
                         Record* older) {
  if (tombstone) value = {};
  size_t bytes = sizeof(Record) + key.size() + value.size();
  void* mem = nullptr;
  if (bytes <= kMaxSmall) {
    mem = AllocateSmall(ClassOf(bytes));
  } else {
    mem = std::malloc(bytes);
    if (mem == nullptr) throw std::bad_alloc();
    large_bytes_ += bytes;
  }
  return InitRecord(mem, key, value, seq, tombstone, older);
}

void RecordArena::Free(Record* record) {
  size_t bytes = record->footprint();
  if (bytes > kMaxSmall) {
    large_bytes_ -= bytes;
    std::free(record);
    return;
  }
  size_t size_class = ClassOf(bytes);
  auto* block = reinterpret_cast<FreeBlock*>(record);
  block->next = free_[size_class];
  free_[size_class] = block;
}

void RecordArena::FreeChain(Record* newest) {
  while (newest != nullptr) {
    Record* older = newest->older;
    Free(newest);
    newest = older;
  }
}

}  // namespace nokv::holt
