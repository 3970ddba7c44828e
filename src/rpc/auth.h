// Auth tokens: loading them and comparing them in constant time.
//
// A token is a shared secret a TCP client presents in its hello. It never
// appears in a log line, an error message or a stats snapshot: errors from
// these helpers name the file or variable, never the contents. Thread-safe:
// pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace nokv::rpc {

// Compares two tokens in time that depends on neither their contents nor
// their lengths (both are hashed with SHA-256, then the digests compared with
// CRYPTO_memcmp).
bool TokensEqual(std::string_view a, std::string_view b);

// Reads a token from `path`; trailing whitespace (a newline) is dropped.
// PermissionDenied when the file is readable or writable by group or others
// ("chmod 600" fixes it), InvalidArgument when it is empty or longer than
// kMaxTokenBytes, the file error otherwise.
Result<std::string> LoadTokenFromFile(const std::string& path);

// Reads a token from the environment variable `name`. NotFound when unset or
// empty, InvalidArgument when longer than kMaxTokenBytes.
Result<std::string> LoadTokenFromEnv(const std::string& name);

}  // namespace nokv::rpc
