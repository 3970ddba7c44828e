// What every fuzz target (tests/fuzz/*_fuzz.cc) uses to state a property:
// Require aborts with the property's name, so libFuzzer records the input as
// a crash and the replay test fails on it. Asserting on the decoded input is
// the point here; src/ never does that.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace nokv::fuzz {

inline void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "fuzz: property violated: %s\n", what);
    std::abort();
  }
}

// The input without its first byte, which targets use to pick a decoder or
// a mode; empty for an empty input.
inline std::string_view Rest(const uint8_t* data, size_t size) {
  if (size == 0) return {};
  return std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
}

}  // namespace nokv::fuzz
