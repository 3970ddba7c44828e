// ByteBuffer and BufferPool: block-sized heap buffers for bulk I/O.
//
// A ByteBuffer is never zero-filled (read(2) or a copy fills it), and a large
// one is aligned to 2 MiB and advised for transparent huge pages, so a 4 MiB
// buffer costs a couple of page faults instead of a thousand. A BufferPool
// recycles buffers of one capacity so a stream of blocks reuses the memory it
// has already faulted in.
//
// ByteBuffer is a move-only value owned by one thread at a time; BufferPool
// is thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

namespace nokv {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  // `capacity` bytes of uninitialized memory.
  explicit ByteBuffer(size_t capacity);
  ~ByteBuffer();
  ByteBuffer(ByteBuffer&& other) noexcept;
  ByteBuffer& operator=(ByteBuffer&& other) noexcept;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t capacity() const { return capacity_; }
  std::span<char> span() { return {data_, capacity_}; }
  // The first n bytes (n <= capacity).
  std::string_view view(size_t n) const { return {data_, n}; }

 private:
  char* data_ = nullptr;
  size_t capacity_ = 0;
};

class BufferPool {
 public:
  // Buffers of `capacity` bytes; at most `keep` idle ones are kept.
  BufferPool(size_t capacity, size_t keep) : capacity_(capacity), keep_(keep) {}

  // A recycled buffer, or a new one.
  ByteBuffer Acquire();
  // Gives `buffer` back for reuse (dropped when `keep` are idle already or
  // its capacity is not the pool's).
  void Release(ByteBuffer buffer);

  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  const size_t keep_;
  std::mutex mu_;
  std::vector<ByteBuffer> idle_;  // guarded by mu_
};

}  // namespace nokv
