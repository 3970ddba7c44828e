// Entry point of `nokv-bench meta` (called by bench/main.cc).
#pragma once

#include <string>
#include <vector>

namespace nokv::bench {

inline constexpr const char* kMetaUsage =
    "usage: nokv-bench meta [--quick] [--rows M1,M3,E5] [--dir-sizes 1024,65536,...]\n"
    "                       [--json out.jsonl] [--md out.md] [--dir scratch-parent]\n";

// `argv`: the arguments after "meta". Returns the exit code (0 ok, 1 failure, 2 usage).
int RunMetaCommand(const std::vector<std::string>& argv, const std::string& command);

}  // namespace nokv::bench
