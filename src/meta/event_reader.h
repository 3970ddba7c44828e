// EventReader: decodes watch events in key order. Version-2 events store their
// path relative to the event before them in the same commit
// (docs/formats/meta-keys.md, `w`), so the reader carries that path along and,
// when a scan starts in the middle of a commit, reads the commit's earlier
// events first. Internal to src/meta; one reader per scan, one thread.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "holt/engine.h"
#include "meta/types.h"

namespace nokv::meta {

class EventReader {
 public:
  // `engine` must outlive the reader.
  explicit EventReader(const holt::Engine* engine) : engine_(engine) {}

  // The event stored under (seq, ordinal) with `value`. Corruption when the value
  // is malformed or an earlier event of its commit is missing.
  Result<Event> Decode(uint64_t seq, uint32_t ordinal, std::string_view value);

 private:
  // Loads the path of event (seq, ordinal - 1) into path_.
  Status LoadBase(uint64_t seq, uint32_t ordinal);

  const holt::Engine* engine_;
  bool have_ = false;  // path_ is the path of event (seq_, next_ - 1)
  uint64_t seq_ = 0;
  uint32_t next_ = 0;
  std::string path_;
};

}  // namespace nokv::meta
