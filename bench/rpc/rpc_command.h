// Entry point of `nokv-bench rpc` (called by bench/main.cc): the metadata
// server over framed RPC (M1, M2, M3) and bodies through the remote
// Filesystem (D1, D2), with a private Redis in the JuiceFS layout and the
// loopback round-trip ceiling measured in the same run.
#pragma once

#include <string>
#include <vector>

namespace nokv::bench {

inline constexpr const char* kRpcUsage =
    "usage: nokv-bench rpc [--quick] [--rows M1,M2,M3,D] [--json out.jsonl] [--md out.md]\n"
    "                      [--dir scratch-parent]\n";

// `argv`: the arguments after "rpc". Returns the exit code (0 ok, 1 failure, 2 usage).
int RunRpcCommand(const std::vector<std::string>& argv, const std::string& command);

}  // namespace nokv::bench
