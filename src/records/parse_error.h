// The one shape of a record parse error: InvalidArgument("line L, column C: what").
// Internal to nokv_records.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace nokv::records {

// `line` and `column` are 1-based; column 0 means unknown and is left out.
inline Status ParseError(size_t line, size_t column, std::string_view what) {
  std::string message = "line " + std::to_string(line);
  if (column > 0) message += ", column " + std::to_string(column);
  message += ": ";
  message += what;
  return Status::InvalidArgument(message);
}

}  // namespace nokv::records
