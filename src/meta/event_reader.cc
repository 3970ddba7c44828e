// Sequential decoding of prefix-shared watch event paths.
#include "meta/event_reader.h"

#include "meta/codec.h"

namespace nokv::meta {

Result<Event> EventReader::Decode(uint64_t seq, uint32_t ordinal, std::string_view value) {
  if (ordinal == 0) {
    path_.clear();
  } else if (!have_ || seq_ != seq || next_ != ordinal) {
    NOKV_RETURN_IF_ERROR(LoadBase(seq, ordinal));
  }
  auto event = DecodeEvent(seq, ordinal, value, path_);
  if (!event.ok()) {
    have_ = false;
    return event.status();
  }
  have_ = true;
  seq_ = seq;
  next_ = ordinal + 1;
  path_ = event->path;
  return event;
}

Status EventReader::LoadBase(uint64_t seq, uint32_t ordinal) {
  holt::ScanOptions scan;
  scan.prefix = WatchKey(seq, 0).substr(0, 9);  // 'w' + seq
  scan.limit = ordinal;
  NOKV_ASSIGN_OR_RETURN(auto rows, engine_->Scan(scan));
  path_.clear();
  uint32_t expected = 0;
  for (const auto& row : rows) {
    uint64_t s = 0;
    uint32_t o = 0;
    if (!ParseWatchKey(row.key, &s, &o) || o != expected) break;
    NOKV_ASSIGN_OR_RETURN(Event event, DecodeEvent(s, o, row.value, path_));
    path_ = std::move(event.path);
    ++expected;
  }
  if (expected != ordinal) {
    return Status::Corruption("watch event " + std::to_string(seq) + "." + std::to_string(ordinal) +
                              " lacks the earlier events of its commit");
  }
  return Status::Ok();
}

}  // namespace nokv::meta
