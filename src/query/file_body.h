// FileBody: the bytes of one generation of a file, read range by range
// through the object store (never loaded whole unless asked, with a cap).
// LineReader: streams the lines of a body from a byte offset, chunk by
// chunk, so text of any size can be paged and searched.
//
// One thread at a time per object.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "meta/types.h"
#include "object/block_reader.h"
#include "query/invocation.h"

namespace nokv::query {

// Sniffing window for binary detection (a NUL in it means binary).
inline constexpr size_t kBinarySniffBytes = 8 * 1024;

class FileBody {
 public:
  // Opens generation `generation` of the file `attr` (a regular file) read at
  // inv.at(). not_a_file for directories and symlinks; generation_gone when
  // the generation is no longer retained.
  static VerbError Open(const Invocation& inv, const meta::Attr& attr, uint64_t generation,
                        std::unique_ptr<FileBody>* out);

  uint64_t size() const { return manifest_.layout.size; }
  const meta::Manifest& manifest() const { return manifest_; }
  VerbError Read(uint64_t offset, uint64_t length, std::string* out);
  // The whole body; too_large above `cap` bytes.
  VerbError ReadAll(uint64_t cap, std::string* out);
  // True when the first kBinarySniffBytes hold a NUL byte.
  VerbError LooksBinary(bool* binary);

 private:
  FileBody(const Invocation& inv, meta::Manifest manifest);

  meta::Manifest manifest_;
  std::unique_ptr<object::BlockReader> reader_;
};

struct TextLine {
  uint64_t number = 0;   // 1-based
  uint64_t offset = 0;   // byte offset of the line's first byte
  std::string text;      // without '\n' (and a trailing '\r'); at most max_line bytes
  bool clipped = false;  // the line was longer than max_line
};

class LineReader {
 public:
  // Lines starting at byte `offset`, which must be a line start, numbered
  // from `first_number`.
  LineReader(FileBody* body, uint64_t offset, uint64_t first_number, size_t max_line);
  // The next line; false at the end or on an error (see error()).
  bool Next(TextLine* line);
  const VerbError& error() const { return error_; }
  // The offset and number of the line Next() returns next.
  uint64_t offset() const { return offset_; }
  uint64_t next_number() const { return number_; }
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  bool Fill();
  // Sets line->text to `text`, clipped to max_line_ on a UTF-8 boundary.
  void SetText(std::string_view text, TextLine* line);

  FileBody* body_;
  uint64_t offset_;  // start of the next line
  uint64_t number_;
  size_t max_line_;
  uint64_t chunk_start_;  // body offset of chunk_[0]
  std::string chunk_;
  uint64_t bytes_read_ = 0;
  VerbError error_;
};

}  // namespace nokv::query
