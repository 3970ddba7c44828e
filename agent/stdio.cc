// The stdio transport: fd and in-memory byte sources, the capped line
// reader, and the line sinks.
#include "agent/stdio.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace nokv::agent {
namespace {
constexpr size_t kReadChunk = 64 * 1024;
}  // namespace

long FdSource::Read(char* buf, size_t cap) {
  for (;;) {
    ssize_t n = ::read(fd_, buf, cap);
    if (n >= 0) return static_cast<long>(n);
    if (errno != EINTR) return -1;
  }
}

void MemorySource::Push(std::string_view bytes) {
  std::lock_guard lock(mu_);
  pending_.append(bytes);
  cv_.notify_all();
}

void MemorySource::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

long MemorySource::Read(char* buf, size_t cap) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !pending_.empty() || closed_; });
  size_t n = std::min(cap, pending_.size());
  std::memcpy(buf, pending_.data(), n);
  pending_.erase(0, n);
  return static_cast<long>(n);
}

LineReader::LineReader(ByteSource* source, size_t max_line)
    : source_(source), max_line_(max_line), buf_(std::max(max_line, kReadChunk) + kReadChunk) {}

// Moves unread bytes to the front and reads more; false at end of input.
bool LineReader::Fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  size_t room = std::min(buf_.size() - end_, kReadChunk);
  long n = source_->Read(buf_.data() + end_, room);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  end_ += static_cast<size_t>(n);
  return true;
}

LineReader::Event LineReader::Next(std::string* line) {
  size_t scanned = 0;  // bytes of the current line already searched
  bool too_long = false;
  for (;;) {
    const char* start = buf_.data() + begin_ + scanned;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_ - scanned));
    if (nl != nullptr) {
      size_t len = static_cast<size_t>(nl - (buf_.data() + begin_));
      if (!too_long) {
        line->assign(buf_.data() + begin_, len);
        if (!line->empty() && line->back() == '\r') line->pop_back();
      }
      begin_ += len + 1;
      return too_long ? Event::kTooLong : Event::kLine;
    }
    scanned = end_ - begin_;
    if (scanned > max_line_) {  // drop what we have and keep skipping
      too_long = true;
      begin_ = end_;
      scanned = 0;
    }
    if (!Fill()) {
      if (too_long) return Event::kTooLong;
      if (end_ == begin_) return Event::kEnd;
      line->assign(buf_.data() + begin_, end_ - begin_);
      begin_ = end_;
      return Event::kLine;
    }
  }
}

bool FdSink::WriteLine(std::string_view line) {
  std::string framed;
  framed.reserve(line.size() + 1);
  framed.append(line).push_back('\n');
  std::lock_guard lock(mu_);
  size_t done = 0;
  while (done < framed.size()) {
    ssize_t n = ::write(fd_, framed.data() + done, framed.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool MemorySink::WriteLine(std::string_view line) {
  std::lock_guard lock(mu_);
  lines_.emplace_back(line);
  taken_.push_back(false);
  cv_.notify_all();
  return true;
}

std::vector<std::string> MemorySink::Lines() {
  std::lock_guard lock(mu_);
  return lines_;
}

std::string MemorySink::WaitFor(const std::function<bool(const std::string&)>& pred,
                                std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  std::string found;
  cv_.wait_for(lock, timeout, [&] {
    for (size_t i = 0; i < lines_.size(); ++i) {
      if (!taken_[i] && pred(lines_[i])) {
        taken_[i] = true;
        found = lines_[i];
        return true;
      }
    }
    return false;
  });
  return found;
}

}  // namespace nokv::agent
