// Byte and text encodings used in verb results: base64 (standard and URL-safe),
// UTF-8 validation and repair, the byte escape that lets names that are not UTF-8
// round-trip through JSON, times, digests and a stable 64-bit hash.
//
// Holt-free (the CLI and the MCP server include it too). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "records/utf8.h"

namespace nokv::query {

std::string Base64Encode(std::string_view bytes);
// URL-safe alphabet, no padding.
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);
// Standard alphabet, padded to a multiple of 4; nullopt when malformed.
std::optional<std::string> Base64Decode(std::string_view text);

// UTF-8 validation and repair are the records layer's (records/utf8.h).
using records::IsValidUtf8;
using records::SanitizeUtf8;
// Length of the valid UTF-8 sequence at text[0], 0 when invalid or empty.
inline size_t Utf8SequenceLength(std::string_view text) {
  return records::ValidUtf8SequenceLength(text);
}
// The byte escape (docs/cli.md and docs/mcp.md, "Names that are not UTF-8"). Names are
// bytes; JSON strings are Unicode. In JSON output each byte 0xNN (0x80..0xFF) that is
// not part of a valid UTF-8 sequence becomes the private-use code point U+F700+NN
// (U+F780..U+F7FF), and so does each of the three bytes of a literal U+F780..U+F7FF,
// so every escaped string decodes to exactly the bytes it came from. Valid UTF-8
// without those code points is unchanged.
inline constexpr uint32_t kByteEscapeFirst = 0xF780;  // the escape of byte 0x80
inline constexpr uint32_t kByteEscapeLast = 0xF7FF;   // the escape of byte 0xFF

// `bytes` with the byte escape applied; always valid UTF-8.
std::string EscapeBytes(std::string_view bytes);
// The inverse, for arguments that name paths: every U+F780..U+F7FF becomes the byte
// 0x80..0xFF; everything else, invalid UTF-8 included, is kept as it is.
std::string UnescapeBytes(std::string_view text);
// True when EscapeBytes(bytes) == bytes: valid UTF-8 without U+F780..U+F7FF.
bool IsEscapeFree(std::string_view bytes);
// Applies EscapeBytes to every string of `j`, object keys included.
void EscapeJsonStrings(nlohmann::json* j);
// `value` as compact JSON (no ASCII-only escaping) with EscapeBytes applied to every
// string; never throws for bytes that are not UTF-8.
std::string DumpEscaped(const nlohmann::json& value);

// The largest n <= limit such that text[0, n) does not split a UTF-8 sequence.
size_t Utf8Floor(std::string_view text, size_t limit);

// "2023-11-14T22:13:20.000Z" (UTC, milliseconds, fixed width).
std::string FormatTime(int64_t ns);
// FNV-1a, stable across processes and builds.
uint64_t StableHash(std::string_view bytes);

}  // namespace nokv::query
