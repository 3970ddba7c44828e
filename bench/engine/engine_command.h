// Entry point of `nokv-bench engine` (called by bench/main.cc).
#pragma once

#include <string>
#include <vector>

namespace nokv::bench {

inline constexpr const char* kEngineUsage =
    "usage: nokv-bench engine [--quick] [--rows E1,E2,E3,E4,E5] [--json out.jsonl]\n"
    "                         [--md out.md] [--dir scratch-parent]\n";

// `argv`: the arguments after "engine"; `command`: the command line for the report.
// Returns the exit code: 0 ok, 1 a row or an output failed, 2 usage.
int RunEngineCommand(const std::vector<std::string>& argv, const std::string& command);

}  // namespace nokv::bench
