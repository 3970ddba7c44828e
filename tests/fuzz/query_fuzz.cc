// libFuzzer target for what an agent hands the query layer verbatim
// (src/query; docs/mcp.md): evidence URIs, pagination cursors, argument
// fingerprints, escaped names, base64 and scoped paths. The first byte picks
// the decoder (modulo 4). Properties: a bad input is a VerbError, never an
// exception or a crash; a parsed URI prints back to a URI that parses to the
// same address; a decoded cursor re-encodes to one that decodes the same; the
// byte escape and base64 round-trip; a normalized path normalizes to itself
// and stays under the root.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "query/args.h"
#include "query/cursor.h"
#include "query/evidence.h"
#include "query/text_codec.h"

namespace nokv::fuzz {
namespace {

using query::Evidence;

// The verb and fingerprint the seeds' cursors were issued for.
constexpr std::string_view kCursorVerb = "find";
constexpr uint64_t kCursorQuery = 12345;

std::string PrintEvidence(const Evidence& e) {
  switch (e.kind) {
    case Evidence::Kind::kLines:
      return query::LinesUri(e.path, e.generation, e.first, e.last);
    case Evidence::Kind::kItem:
      return query::ItemUri(e.path, e.generation, e.first);
    default:
      return query::VersionUri(e.path, e.generation);
  }
}

void FuzzEvidence(std::string_view uri) {
  Evidence parsed;
  if (!query::ParseEvidence(uri, &parsed).ok()) return;
  Evidence back;
  Require(query::ParseEvidence(PrintEvidence(parsed), &back).ok(), "a printed URI parses");
  Require(back.path == parsed.path && back.generation == parsed.generation &&
              back.kind == parsed.kind && back.first == parsed.first && back.last == parsed.last,
          "an evidence URI round-trips");
}

void FuzzCursor(std::string_view text) {
  query::CursorState state;
  if (!query::DecodeCursor(text, kCursorVerb, kCursorQuery, &state).ok()) return;
  query::CursorState back;
  Require(query::DecodeCursor(query::EncodeCursor(state), kCursorVerb, kCursorQuery, &back).ok(),
          "a re-encoded cursor decodes");
  Require(
      back.seq == state.seq && back.snapshot == state.snapshot && back.position == state.position,
      "a cursor round-trips");
}

void FuzzArguments(std::string_view in) {
  nlohmann::json args = nlohmann::json::parse(in, nullptr, false);
  if (args.is_discarded()) return;
  (void)query::QueryFingerprint(args);
  (void)query::DumpEscaped(args);
}

void FuzzText(std::string_view in) {
  std::string escaped = query::EscapeBytes(in);
  Require(query::IsValidUtf8(escaped), "escaped bytes are UTF-8");
  Require(query::UnescapeBytes(escaped) == in, "the byte escape round-trips");
  Require(query::IsValidUtf8(query::SanitizeUtf8(in)), "sanitized text is UTF-8");
  for (auto decode : {query::Base64Decode, query::Base64UrlDecode}) {
    std::optional<std::string> bytes = decode(in);
    if (!bytes) continue;
    std::string again = decode == query::Base64Decode ? query::Base64Encode(*bytes)
                                                      : query::Base64UrlEncode(*bytes);
    Require(decode(again) == bytes, "base64 round-trips");
  }
  std::string path;
  // Arguments arrive as JSON strings, so as UTF-8. (Raw bytes such as
  // EF 9E EF 9E 80 are not a fixed point: unescaping the inner U+F780 makes a
  // new escape of the bytes before it.)
  if (query::IsValidUtf8(in) && query::NormalizeScopedPath(in, "/data", &path).ok()) {
    std::string again;
    Require(query::NormalizeScopedPath(path, "/data", &again).ok() && again == path,
            "a normalized path is a fixed point");
    Require(query::PathUnder(path, "/data"), "a scoped path stays under its root");
  }
}

}  // namespace
}  // namespace nokv::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in = nokv::fuzz::Rest(data, size);
  switch (data[0] & 3) {
    case 0:
      nokv::fuzz::FuzzEvidence(in);
      break;
    case 1:
      nokv::fuzz::FuzzCursor(in);
      break;
    case 2:
      nokv::fuzz::FuzzArguments(in);
      break;
    default:
      nokv::fuzz::FuzzText(in);
      break;
  }
  return 0;
}
