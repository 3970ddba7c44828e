// `nokv-bench backup`: metadata backup and restore of a namespace of N empty
// files (docs/formats/backup.md) against `sqlite3 .backup` (the online backup
// API) of the JuiceFS-shaped SQLite peer holding the same namespace.
#pragma once

#include <string>
#include <vector>

namespace nokv::bench {

inline constexpr const char* kBackupUsage =
    "usage: nokv-bench backup [--files N (default 1000000)] [--dir scratch]\n";

// `argv`: the arguments after "backup". Returns the exit code (0 ok, 1 failure, 2 usage).
int RunBackupCommand(const std::vector<std::string>& argv, const std::string& command);

}  // namespace nokv::bench
