// Byte and text encodings used in verb results: base64 (standard and URL-safe),
// UTF-8 validation and repair, times, digests and a stable 64-bit hash.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/sha256.h"

namespace nokv::query {

std::string Base64Encode(std::string_view bytes);
// URL-safe alphabet, no padding.
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// Length of the valid UTF-8 sequence at text[0], 0 when invalid or empty.
size_t Utf8SequenceLength(std::string_view text);
bool IsValidUtf8(std::string_view text);
// `text` with every invalid byte replaced by U+FFFD (JSON-safe).
std::string SanitizeUtf8(std::string_view text);
// The largest n <= limit such that text[0, n) does not split a UTF-8 sequence.
size_t Utf8Floor(std::string_view text, size_t limit);

// "2023-11-14T22:13:20.000Z" (UTC, milliseconds, fixed width).
std::string FormatTime(int64_t ns);
// "sha256:<64 hex digits>".
std::string DigestString(const Digest& digest);
// FNV-1a, stable across processes and builds.
uint64_t StableHash(std::string_view bytes);

}  // namespace nokv::query
