// Cursor encoding and validation.
#include "query/cursor.h"

#include "query/invocation.h"
#include "query/text_codec.h"

namespace nokv::query {
namespace {

constexpr int kCursorVersion = 1;

}  // namespace

VerbError MalformedCursor() {
  return VerbError::InvalidArgument("malformed cursor",
                                    "pass next_cursor exactly as returned, or drop it to restart");
}

std::string EncodeCursor(const CursorState& state) {
  nlohmann::json j = {{"v", kCursorVersion},
                      {"c", state.verb},
                      {"s", state.seq},
                      {"q", state.query},
                      {"p", state.position}};
  if (!state.snapshot.empty()) j["n"] = state.snapshot;
  return Base64UrlEncode(CompactJson(j));
}

VerbError DecodeCursor(std::string_view text, std::string_view verb, uint64_t query,
                       CursorState* out) {
  auto bytes = Base64UrlDecode(text);
  if (!bytes) return MalformedCursor();
  nlohmann::json j = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  // Every field is checked by type first: json::value() throws for another type.
  if (!j.is_object() || !j["v"].is_number_integer() || j["v"].get<int64_t>() != kCursorVersion ||
      !j["c"].is_string() || !j["s"].is_number_unsigned() || !j["q"].is_number_unsigned() ||
      !j.contains("p")) {
    return MalformedCursor();
  }
  if (j["c"].get<std::string>() != verb) {
    return VerbError::InvalidArgument("this cursor belongs to " + j["c"].get<std::string>(),
                                      "pass a cursor to the verb that returned it");
  }
  if (j["q"].get<uint64_t>() != query) {
    return VerbError::InvalidArgument("this cursor was issued for different arguments",
                                      "repeat the original arguments with the cursor, or drop "
                                      "the cursor to start over");
  }
  out->verb = std::string(verb);
  out->seq = j["s"].get<uint64_t>();
  out->snapshot = j.contains("n") && j["n"].is_string() ? j["n"].get<std::string>() : "";
  out->query = query;
  out->position = j["p"];
  return VerbError::Ok();
}

uint64_t QueryFingerprint(const nlohmann::json& args) {
  nlohmann::json copy = args;
  if (copy.is_object()) {
    copy.erase("cursor");
    copy.erase("limit");
    copy.erase("max_result_bytes");
  }
  return StableHash(CompactJson(copy));
}

}  // namespace nokv::query
