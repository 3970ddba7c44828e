// Entry point of `nokv-bench fuse` (called by bench/main.cc).
#pragma once

#include <string>
#include <vector>

namespace nokv::bench {

inline constexpr const char* kFuseUsage =
    "usage: nokv-bench fuse [--quick] [--nokv path/to/nokv] [--s3-env STATE/s3.env]\n"
    "                       [--targets noop,tmpfs,nokv-local,nokv-local-none,nokv-s3,\n"
    "                                  s3fs,rclone]\n"
    "                       [--rows F1,F2] [--repeats N] [--peer-f1-repeats N]\n"
    "                       [--stonewall SEC] [--big-bytes N]\n"
    "                       [--json out.jsonl] [--md out.md] [--dir scratch-parent]\n"
    "       (as root: it mounts, and drops the page cache between F2 phases)\n";

// `argv`: the arguments after "fuse". Returns the exit code (0 ok, 1 failure, 2 usage).
int RunFuseCommand(const std::vector<std::string>& argv, const std::string& command);

}  // namespace nokv::bench
