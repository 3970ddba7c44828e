// `nokv-bench retention`: metadata and blocks one snapshot keeps while the
// rest of the namespace is overwritten.
#pragma once

#include <string>
#include <vector>

namespace nokv::bench {

inline constexpr const char* kRetentionUsage =
    "usage: nokv-bench retention [--files N (default 1000000)] [--dir scratch]\n";

// `argv`: the arguments after "retention". Returns the exit code (0 ok, 1 failure, 2 usage).
int RunRetentionCommand(const std::vector<std::string>& argv, const std::string& command);

}  // namespace nokv::bench
