// Watch: typed events in commit order, filtered by subtree, from a cursor,
// with a blocking wait and bounded retention.
#include <charconv>

#include "common/coding.h"
#include "meta/codec.h"
#include "meta/event_reader.h"
#include "meta/meta_service.h"
#include "meta/path.h"

namespace nokv::meta {
namespace {

// Parses "seq" or "seq.ordinal" into the key after which to resume.
Result<std::string> CursorStart(std::string_view cursor, uint64_t* seq) {
  uint64_t ordinal = UINT32_MAX;
  size_t dot = cursor.find('.');
  std::string_view s = cursor.substr(0, dot);
  auto bad = [&] {
    return Status::InvalidArgument("bad cursor '" + std::string(cursor) +
                                   "' (expected SEQ or SEQ.ORDINAL)");
  };
  // Each part is all digits: "1.2.3", "1x" and "-1" are refused.
  auto whole = [](std::string_view part, uint64_t* out) {
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), *out);
    return ec == std::errc() && end == part.data() + part.size();
  };
  if (!whole(s, seq)) return bad();
  if (dot != std::string_view::npos) {
    if (!whole(cursor.substr(dot + 1), &ordinal) || ordinal > UINT32_MAX) return bad();
  }
  return WatchKey(*seq, static_cast<uint32_t>(ordinal));
}

// True when `event` concerns the subtree at `root`: its path (or a rename's old
// path) lies at or under `root`, or it removed or moved a directory at or above
// `root`, which takes the whole subtree with it.
bool EventTouches(const Event& event, std::string_view root) {
  if (PathIsUnder(event.path, root)) return true;
  if (!event.old_path.empty() && PathIsUnder(event.old_path, root)) return true;
  if (event.file_type != FileType::kDirectory) return false;
  if (event.type == EventType::kRemove) return PathIsUnder(root, event.path);
  if (event.type == EventType::kRename) {
    return PathIsUnder(root, event.path) || PathIsUnder(root, event.old_path);
  }
  return false;
}

}  // namespace

std::string MetaService::LatestCursor() {
  holt::ScanOptions scan;
  scan.prefix = std::string(1, family::kWatch);
  scan.reverse = true;
  scan.limit = 1;
  scan.keys_only = true;
  auto rows = engine_->Scan(scan);
  uint64_t seq = 0;
  uint32_t ordinal = 0;
  if (!rows.ok() || rows->empty() || !ParseWatchKey(rows->front().key, &seq, &ordinal)) return "";
  return std::to_string(seq) + "." + std::to_string(ordinal);
}

Result<EventPage> MetaService::Watch(std::string_view path, std::string_view cursor, size_t limit,
                                     std::chrono::milliseconds wait) {
  NOKV_ASSIGN_OR_RETURN(std::string root, NormalizePath(path));
  holt::ScanOptions scan;
  scan.prefix = std::string(1, family::kWatch);
  scan.limit = 1024;
  if (!cursor.empty()) {
    uint64_t seq = 0;
    NOKV_ASSIGN_OR_RETURN(std::string start, CursorStart(cursor, &seq));
    // Expired when events the cursor has not seen were pruned: the newest
    // pruned event lies after the cursor's position.
    auto floor = engine_->Get(kWatchFloorKey);
    uint64_t floor_seq = 0;
    uint32_t floor_ordinal = 0;
    if (floor.ok() && ParseWatchKey(floor->bytes, &floor_seq, &floor_ordinal) &&
        start < floor->bytes) {
      return Status::Expired("cursor " + std::string(cursor) +
                             " expired; the oldest retained cursor is " +
                             std::to_string(floor_seq) + "." + std::to_string(floor_ordinal));
    }
    scan.start_after = start;
  }
  auto deadline = std::chrono::steady_clock::now() + wait;
  EventPage page;
  page.next_cursor = std::string(cursor);
  EventReader reader(engine_.get());
  for (;;) {
    // Any commit after this point, by any writer of the engine, wakes us.
    uint64_t seen = engine_->visible_seq();
    for (;;) {
      NOKV_ASSIGN_OR_RETURN(auto rows, engine_->Scan(scan));
      for (const auto& row : rows) {
        uint64_t seq = 0;
        uint32_t ordinal = 0;
        if (!ParseWatchKey(row.key, &seq, &ordinal)) continue;
        NOKV_ASSIGN_OR_RETURN(Event event, reader.Decode(seq, ordinal, row.value));
        page.next_cursor = event.cursor();
        if (EventTouches(event, root)) {
          page.events.push_back(std::move(event));
          if (page.events.size() >= limit) return page;
        }
      }
      if (rows.size() < scan.limit) break;
      scan.start_after = rows.back().key;
    }
    if (!page.events.empty() || std::chrono::steady_clock::now() >= deadline) return page;
    if (!page.next_cursor.empty()) {
      uint64_t seq = 0;
      NOKV_ASSIGN_OR_RETURN(std::string start, CursorStart(page.next_cursor, &seq));
      scan.start_after = start;
    }
    if (!engine_->WaitVisibleAfter(seen, deadline)) return page;  // timed out or stopped
  }
}

}  // namespace nokv::meta
