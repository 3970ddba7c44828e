// Evidence URIs: citable addresses of a file version, a line, a line range or
// a structured record:
//   nokv-native://<path>@generation:<N>
//   nokv-native://<path>@generation:<N>#L<line>
//   nokv-native://<path>@generation:<N>#L<a>-L<b>
//   nokv-native://<path>@generation:<N>#item:<i>      (0-based record index)
// The path is written as is (the last "@generation:" splits it off).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "query/verb_error.h"

namespace nokv::query {

struct Evidence {
  enum class Kind { kVersion, kLines, kItem };
  std::string path;
  uint64_t generation = 0;
  Kind kind = Kind::kVersion;
  uint64_t first = 0;  // kLines: first line (1-based); kItem: the index
  uint64_t last = 0;   // kLines: last line, inclusive
};

std::string VersionUri(std::string_view path, uint64_t generation);
// "#L<a>" when first == last, else "#L<a>-L<b>".
std::string LinesUri(std::string_view path, uint64_t generation, uint64_t first, uint64_t last);
std::string ItemUri(std::string_view path, uint64_t generation, uint64_t item);

// invalid_argument with the expected form as hint.
VerbError ParseEvidence(std::string_view uri, Evidence* out);

}  // namespace nokv::query
