// UnifiedDiff: the line diff between two versions of a text, in the unified
// format of `diff -u` (hunks with context lines), so an agent that edited a
// file sees exactly what changed.
//
// Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace nokv::query {

// The unified diff from `before` to `after`, with "--- a<label>" and
// "+++ b<label>" headers and `context` unchanged lines around each change;
// "" when the texts are equal. A last line without a newline is marked
// "\ No newline at end of file". The changed middle (after the common head
// and tail are set aside) is aligned by longest common subsequence when it
// is small enough (at most `max_cells` line pairs), else shown as all
// removed then all added: still a correct diff, only a longer one.
std::string UnifiedDiff(std::string_view before, std::string_view after, std::string_view label,
                        size_t context = 3, size_t max_cells = 4u << 20);

}  // namespace nokv::query
