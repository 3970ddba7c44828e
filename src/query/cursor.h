// Cursors: opaque base64url tokens naming a verb, the commit sequence the
// first page read (and its snapshot), a fingerprint of the query, and a
// verb-specific position. Format: base64url(compact JSON
// {"v":1,"c":verb,"s":seq,"n":snapshot?,"q":fingerprint,"p":position}).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "query/verb_error.h"

namespace nokv::query {

struct CursorState {
  std::string verb;
  uint64_t seq = 0;
  std::string snapshot;
  uint64_t query = 0;
  nlohmann::json position;
};

std::string EncodeCursor(const CursorState& state);
// The error for a cursor this service did not issue (or that was altered).
VerbError MalformedCursor();

// invalid_argument for a malformed cursor or one issued by another verb or
// for other arguments.
VerbError DecodeCursor(std::string_view text, std::string_view verb, uint64_t query,
                       CursorState* out);

// A fingerprint of the call's arguments that must not change between pages
// (everything but cursor, limit and max_result_bytes).
uint64_t QueryFingerprint(const nlohmann::json& args);

}  // namespace nokv::query
