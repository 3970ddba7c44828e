// ArtIndex: an adaptive radix tree mapping byte-string keys to Records.
//
// Node kinds 4/16/48/256 grow and shrink with their fan-out; inner nodes
// compress shared key bytes into a prefix (a few bytes stored inline, longer
// prefixes verified against a leaf). Keys are arbitrary bytes, may be empty,
// and may be prefixes of one another: a key that ends at an inner node is
// held in that node's end-of-key slot, which sorts before its children.
//
// The index stores the pointer to the newest Record of each key and reads
// Record::key() for comparisons; it never allocates, copies or frees records.
//
// Thread-safety: none inside. The engine serialises writers and readers with
// its own reader/writer lock; iterators are invalidated by any mutation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "holt/record.h"

namespace nokv::holt {

class ArtIndex {
 public:
  ArtIndex();
  ~ArtIndex();  // frees inner nodes only; records belong to the caller
  ArtIndex(const ArtIndex&) = delete;
  ArtIndex& operator=(const ArtIndex&) = delete;

  // The record stored under `key`, or nullptr. O(key length).
  Record* Find(std::string_view key) const;

  // Stores `record` under record->key(). Returns the record it replaced (the
  // caller decides what to do with it) or nullptr when the key was new.
  Record* Upsert(Record* record);

  // Removes `key`. Returns the removed record or nullptr when absent.
  Record* Erase(std::string_view key);

  // Number of keys.
  size_t size() const { return size_; }
  // Bytes held by inner nodes (records are accounted by their owner).
  size_t node_bytes() const { return node_bytes_; }

  // Calls `fn(record)` for every record in key order; for teardown and tests.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    Iterator it(*this);
    for (it.SeekToFirst(); it.Valid(); it.Next()) fn(it.record());
  }

  // Ordered cursor over the index. Valid until the index is mutated.
  class Iterator {
   public:
    explicit Iterator(const ArtIndex& index);
    ~Iterator();
    Iterator(Iterator&&) noexcept;
    Iterator& operator=(Iterator&&) noexcept;

    bool Valid() const;
    Record* record() const;  // requires Valid()
    std::string_view key() const { return record()->key(); }

    void SeekToFirst();
    void SeekToLast();
    // Positions at the first key >= target (inclusive) or > target.
    void Seek(std::string_view target, bool inclusive = true);
    // Positions at the last key <= target (inclusive) or < target.
    void SeekForPrev(std::string_view target, bool inclusive = true);
    void Next();
    void Prev();

   private:
    struct State;
    std::unique_ptr<State> state_;
  };

  // Node-kind counts, for tests and stats.
  struct Shape {
    size_t node4 = 0, node16 = 0, node48 = 0, node256 = 0;
  };
  Shape shape() const;

 private:
  friend class Iterator;
  void* root_ = nullptr;  // tagged pointer: inner node or leaf (see art/node.h)
  size_t size_ = 0;
  size_t node_bytes_ = 0;
};

}  // namespace nokv::holt
