// Invocation: everything one verb call needs (services, the pinned read
// context, scope, cursor position, result budget, cancellation), and
// ResultBudget, which keeps a result under its byte cap.
//
// One Invocation per Call(), used by the calling thread only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "query/service.h"
#include "query/verb_error.h"

namespace nokv::query {

// Bytes set aside for a result's envelope (as_of, counts, next_cursor).
inline constexpr size_t kEnvelopeBytes = 1024;

// Compact JSON with invalid UTF-8 replaced (never throws).
std::string CompactJson(const nlohmann::json& value);

// Counts the serialized bytes of the items of a result against its cap.
class ResultBudget {
 public:
  // Keeps kEnvelopeBytes (at most a quarter of `limit`) for the envelope.
  explicit ResultBudget(size_t limit) : limit_(limit - std::min(kEnvelopeBytes, limit / 4)) {}
  // Charges `item` (plus a separator) when it fits; false (nothing charged) when not.
  bool TryAdd(const nlohmann::json& item) { return TryAdd(CompactJson(item).size() + 1); }
  bool TryAdd(size_t bytes) {
    if (used_ + bytes > limit_) return false;
    used_ += bytes;
    return true;
  }
  size_t remaining() const { return limit_ - used_; }

 private:
  size_t limit_;
  size_t used_ = 0;
};

struct Invocation {
  meta::MetaService* meta = nullptr;
  object::ObjectStore* store = nullptr;
  ThreadPool* io = nullptr;
  std::string root = "/";  // normalized service scope
  // Shared with the lease table, which keeps cursor sequences pinned.
  std::shared_ptr<const meta::ReadContext> ctx;
  std::string snapshot;  // the snapshot read, "" for the latest commit
  size_t max_result_bytes = 64 * 1024;
  // Whether the caller set max_result_bytes, and the most it may be: a read
  // of an image, which comes whole or not at all, defaults to the most.
  bool max_result_bytes_given = false;
  size_t hard_max_result_bytes = 1024 * 1024;
  const CallControl* control = nullptr;
  // The decoded position of the call's cursor; nullptr on a first page.
  const nlohmann::json* position = nullptr;
  // Set by a verb when more remains: becomes next_cursor.
  std::optional<nlohmann::json> next_position;

  const meta::ReadContext* at() const { return ctx.get(); }
  bool Cancelled() const {
    return control != nullptr && control->cancelled != nullptr && control->cancelled->load();
  }
  void Progress(uint64_t done, uint64_t total, std::string_view message) const {
    if (control != nullptr && control->progress) control->progress(done, total, message);
  }
};

}  // namespace nokv::query
