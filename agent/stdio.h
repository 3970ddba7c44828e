// The stdio transport of the MCP server: byte sources, a line reader with a
// hard cap on line length, and line sinks that write one whole message per
// line.
//
// Real sources and sinks are file descriptors (stdin, stdout); the in-memory
// ones let tests drive the server without processes.
//
// Thread-safety: a LineReader and its source belong to one thread. Sinks are
// thread-safe: WriteLine may be called from any thread and lines never
// interleave.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace nokv::agent {

// Where the server's input bytes come from.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Blocks until some bytes are available; returns how many were stored in
  // `buf` (at most `cap`), 0 at end of input, or -1 on a read error.
  virtual long Read(char* buf, size_t cap) = 0;
};

// Reads a file descriptor (not owned; not closed).
class FdSource : public ByteSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  long Read(char* buf, size_t cap) override;

 private:
  int fd_;
};

// An in-memory pipe: Push() data from any thread, Close() for end of input.
class MemorySource : public ByteSource {
 public:
  void Push(std::string_view bytes);
  void Close();
  long Read(char* buf, size_t cap) override;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string pending_;  // guarded by mu_
  bool closed_ = false;  // guarded by mu_
};

// Splits a source into lines. A line longer than `max_line` bytes is not
// buffered: the reader skips to its newline and reports kTooLong, so one
// huge line costs bounded memory and the next line is read normally.
class LineReader {
 public:
  enum class Event { kLine, kTooLong, kEnd };
  LineReader(ByteSource* source, size_t max_line);
  // Next line without its "\n" (and without a trailing "\r"). kEnd at end of
  // input or on a read error; a final line without newline is still a line.
  Event Next(std::string* line);

 private:
  bool Fill();

  ByteSource* source_;
  size_t max_line_;
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
};

// Where protocol lines go.
class LineSink {
 public:
  virtual ~LineSink() = default;
  // Writes `line` plus "\n" atomically with respect to other WriteLine calls,
  // and flushes. Returns false once the peer is gone.
  virtual bool WriteLine(std::string_view line) = 0;
};

// Writes to a file descriptor (not owned), e.g. stdout.
class FdSink : public LineSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  bool WriteLine(std::string_view line) override;

 private:
  std::mutex mu_;
  int fd_;
};

// Collects lines in memory; tests wait for the ones they expect.
class MemorySink : public LineSink {
 public:
  bool WriteLine(std::string_view line) override;
  std::vector<std::string> Lines();
  // Waits until `pred` holds for some line not yet returned by a previous
  // WaitFor, returns it and marks it taken; "" after `timeout`.
  std::string WaitFor(const std::function<bool(const std::string&)>& pred,
                      std::chrono::milliseconds timeout);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;  // guarded by mu_
  std::vector<bool> taken_;         // guarded by mu_
};

}  // namespace nokv::agent
