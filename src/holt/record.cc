// Record allocation.
#include "holt/record.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace nokv::holt {

Record* InitRecord(void* mem, std::string_view key, std::string_view value, uint64_t seq,
                   bool tombstone, Record* older) {
  if (tombstone) value = {};
  auto* record = static_cast<Record*>(mem);
  record->older = older;
  record->seq = seq;
  record->key_len = static_cast<uint32_t>(key.size());
  record->value_bits =
      static_cast<uint32_t>(value.size()) | (tombstone ? Record::kTombstoneBit : 0);
  if (!key.empty()) std::memcpy(record->data(), key.data(), key.size());
  if (!value.empty()) std::memcpy(record->data() + key.size(), value.data(), value.size());
  return record;
}

Record* NewRecord(std::string_view key, std::string_view value, uint64_t seq, bool tombstone,
                  Record* older) {
  size_t bytes = sizeof(Record) + key.size() + (tombstone ? 0 : value.size());
  void* mem = std::malloc(bytes);
  if (mem == nullptr) throw std::bad_alloc();
  return InitRecord(mem, key, value, seq, tombstone, older);
}

void FreeRecord(Record* record) { std::free(record); }

void FreeChain(Record* newest) {
  while (newest != nullptr) {
    Record* older = newest->older;
    FreeRecord(newest);
    newest = older;
  }
}

}  // namespace nokv::holt
