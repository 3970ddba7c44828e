// Child processes and page-cache control for the CLI benchmarks: run a
// command with its stdout redirected and time it (wall clock and the child's
// CPU), drop the page cache, write a file of incompressible bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace nokv::bench {

struct ChildRun {
  double seconds = 0;   // wall clock from fork to exit
  double user_cpu = 0;  // the child's CPU seconds (rusage)
  double sys_cpu = 0;
};

// Runs argv[0] (searched in PATH) with `argv`, stdout to `stdout_path`
// ("/dev/null" or a file, truncated), stderr inherited. Fails unless it exits 0.
Result<ChildRun> RunChild(const std::vector<std::string>& argv, const std::string& stdout_path);

// sync(2), then drops clean pages, dentries and inodes (/proc/sys/vm/drop_caches,
// needs root). Machine-wide.
Status DropPageCache();
// sync(2) only: writes back dirty pages so they do not slow the next timed phase.
void SyncAll();

// Writes `bytes` of pseudo-random (incompressible, never repeating within the
// file, so nothing deduplicates) data to `path` and syncs it.
Status WriteRandomFile(const std::string& path, uint64_t bytes);

// Reads `path` to the end (into the page cache). Returns the bytes read.
Result<uint64_t> ReadWhole(const std::string& path);

}  // namespace nokv::bench
