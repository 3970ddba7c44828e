// The space reserve: a preallocated file in an engine directory that holds
// back a few MiB of disk, so that operations which free space (removing
// files, garbage collection) can still log their commits on a full disk.
//
// A writable engine opened with Options::reserve_bytes > 0 creates the
// reserve when it is missing and space allows; an engine opened with
// Options::release_reserve deletes it first and re-creates it at close.
// See docs/holt.md#space-reserve. Free functions, safe from any thread; the
// reserve file itself is not locked (removing it twice is harmless).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/env.h"

namespace nokv::holt {

inline constexpr std::string_view kReserveFileName = "RESERVE";

// Removes <dir>/RESERVE, giving its space back. Ok when there is none.
Status ReleaseReserve(Env* env, const std::string& dir);

// Makes <dir>/RESERVE hold `bytes` allocated bytes, creating it when it is
// missing or smaller. NoSpace (and no file) when the disk lacks the room.
Status EnsureReserve(Env* env, const std::string& dir, uint64_t bytes);

}  // namespace nokv::holt
