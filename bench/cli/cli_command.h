// Entry point of `nokv-bench cli` (called by bench/main.cc).
#pragma once

#include <string>
#include <vector>

namespace nokv::bench {

inline constexpr const char* kCliUsage =
    "usage: nokv-bench cli [--quick] [--nokv path/to/nokv] [--baseline path/to/older/nokv]\n"
    "                      [--bytes N] [--repeats N]\n"
    "                      [--json out.jsonl] [--md out.md] [--dir scratch-parent]\n";

// `argv`: the arguments after "cli". Returns the exit code (0 ok, 1 failure, 2 usage).
int RunCliCommand(const std::vector<std::string>& argv, const std::string& command);

}  // namespace nokv::bench
