// Assertions shared by the records tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "common/result.h"

namespace nokv::records {

// Succeeds when `status` has `code` and its message contains `text`.
inline ::testing::AssertionResult FailsWith(const Status& status, Code code,
                                            std::string_view text) {
  if (status.code() != code || status.message().find(text) == std::string_view::npos) {
    return ::testing::AssertionFailure() << "got '" << status.ToString() << "', want "
                                         << CodeName(code) << " containing '" << text << "'";
  }
  return ::testing::AssertionSuccess();
}

template <typename T>
::testing::AssertionResult FailsWith(const Result<T>& result, Code code, std::string_view text) {
  if (result.ok()) return ::testing::AssertionFailure() << "succeeded, want an error";
  return FailsWith(result.status(), code, text);
}

}  // namespace nokv::records
