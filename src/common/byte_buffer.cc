// ByteBuffer allocation (huge-page advice for large buffers) and BufferPool.
#include "common/byte_buffer.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>
#include <utility>

namespace nokv {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

}  // namespace

ByteBuffer::ByteBuffer(size_t capacity) : capacity_(capacity) {
  if (capacity == 0) return;
  void* p = nullptr;
  if (capacity >= kHugePage) {
    size_t rounded = (capacity + kHugePage - 1) / kHugePage * kHugePage;
    if (::posix_memalign(&p, kHugePage, rounded) != 0) throw std::bad_alloc();
    (void)::madvise(p, rounded, MADV_HUGEPAGE);  // advice only: fine if refused
  } else {
    p = std::malloc(capacity);
    if (p == nullptr) throw std::bad_alloc();
  }
  data_ = static_cast<char*>(p);
}

ByteBuffer::~ByteBuffer() { std::free(data_); }

ByteBuffer::ByteBuffer(ByteBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), capacity_(std::exchange(other.capacity_, 0)) {}

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

ByteBuffer BufferPool::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      ByteBuffer buffer = std::move(idle_.back());
      idle_.pop_back();
      return buffer;
    }
  }
  return ByteBuffer(capacity_);
}

void BufferPool::Release(ByteBuffer buffer) {
  if (buffer.capacity() != capacity_) return;
  std::lock_guard lock(mu_);
  if (idle_.size() < keep_) idle_.push_back(std::move(buffer));
}

}  // namespace nokv
