// FileBody and LineReader.
#include "query/file_body.h"

#include <algorithm>

#include "query/text_codec.h"

namespace nokv::query {
namespace {

constexpr size_t kChunkBytes = 256 * 1024;

}  // namespace

FileBody::FileBody(const Invocation& inv, meta::Manifest manifest)
    : manifest_(std::move(manifest)),
      reader_(std::make_unique<object::BlockReader>(inv.store, inv.io, manifest_.layout)) {}

VerbError FileBody::Open(const Invocation& inv, const meta::Attr& attr, uint64_t generation,
                         std::unique_ptr<FileBody>* out) {
  if (attr.type != meta::FileType::kFile) {
    return VerbError::NotAFile(
        std::string("not a regular file (") + meta::FileTypeName(attr.type) + ")",
        attr.type == meta::FileType::kDirectory ? "use ls or grep on a directory"
                                                : "read the symlink's target instead");
  }
  meta::Manifest manifest;
  auto got = inv.meta->GetManifest(attr.inode, generation, inv.at());
  if (got.ok()) {
    manifest = std::move(got).value();
  } else if (!(attr.size == 0 && generation == attr.generation)) {
    return VerbError::GenerationGone(
        "generation " + std::to_string(generation) + " is no longer retained",
        "read the current version (stat gives its generation)");
  }
  out->reset(new FileBody(inv, std::move(manifest)));
  return VerbError::Ok();
}

VerbError FileBody::Read(uint64_t offset, uint64_t length, std::string* out) {
  out->clear();
  if (offset >= size() || length == 0) return VerbError::Ok();
  Status s = reader_->Read(offset, length, out);
  if (!s.ok()) return VerbError::Internal("reading the body failed: " + s.ToString());
  return VerbError::Ok();
}

VerbError FileBody::ReadAll(uint64_t cap, std::string* out) {
  if (size() > cap) {
    return VerbError::TooLarge(
        "body of " + std::to_string(size()) + " bytes is over " + std::to_string(cap),
        "read it in pages (format text or bytes)");
  }
  return Read(0, size(), out);
}

VerbError FileBody::LooksBinary(bool* binary) {
  std::string head;
  NOKV_VERB_TRY(Read(0, kBinarySniffBytes, &head));
  *binary = head.find('\0') != std::string::npos;
  return VerbError::Ok();
}

LineReader::LineReader(FileBody* body, uint64_t offset, uint64_t first_number, size_t max_line)
    : body_(body),
      offset_(offset),
      number_(first_number),
      max_line_(max_line),
      chunk_start_(offset) {}

bool LineReader::Fill() {
  uint64_t end = chunk_start_ + chunk_.size();
  if (end >= body_->size()) return false;
  std::string more;
  error_ = body_->Read(end, kChunkBytes, &more);
  if (!error_.ok() || more.empty()) return false;
  bytes_read_ += more.size();
  chunk_ += more;
  return true;
}

void LineReader::SetText(std::string_view text, TextLine* line) {
  size_t keep = text.size() > max_line_ ? Utf8Floor(text, max_line_) : text.size();
  line->text.assign(text.substr(0, keep));
  line->clipped = keep < text.size();
}

bool LineReader::Next(TextLine* line) {
  // Drop consumed bytes so the chunk holds at most the current line's bytes.
  if (offset_ > chunk_start_) {
    chunk_.erase(0, std::min<uint64_t>(offset_ - chunk_start_, chunk_.size()));
    chunk_start_ = offset_;
  }
  line->text.clear();
  line->clipped = false;
  line->offset = offset_;
  line->number = number_;
  size_t scanned = 0;
  while (true) {
    size_t nl = chunk_.find('\n', scanned);
    if (nl != std::string::npos) {
      if (!line->clipped) {
        std::string_view text(chunk_.data(), nl);
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        SetText(text, line);
      }
      offset_ = chunk_start_ + nl + 1;
      ++number_;
      return true;
    }
    if (!line->clipped && chunk_.size() > max_line_) SetText(chunk_, line);
    if (line->clipped) {
      // A very long line: its head is kept; the rest is skipped as it streams by.
      chunk_start_ += chunk_.size();
      chunk_.clear();
      scanned = 0;
    } else {
      scanned = chunk_.size();
    }
    if (!Fill()) break;
  }
  if (!error_.ok()) return false;
  if (chunk_.empty() && !line->clipped) return false;  // end of body
  if (!line->clipped) SetText(chunk_, line);
  offset_ = chunk_start_ + chunk_.size();
  ++number_;
  return true;
}

}  // namespace nokv::query
