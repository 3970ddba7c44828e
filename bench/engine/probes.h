// Ceiling probes measured in the same run as the workloads: what the machine
// can do at best, so engine figures can be read as fractions of it.
#pragma once

#include <chrono>
#include <string>

#include "bench/common/harness.h"

namespace nokv::bench {

// memcpy of a 64 MiB buffer, repeated for `window`. rate = bytes/s.
Result<Measurement> ProbeMemcpy(std::chrono::milliseconds window, int repeats);

enum class SyncPattern {
  kAppend,     // the file grows with every write (Holt's WAL segments)
  kOverwrite,  // writes cycle over an already written 1 MiB region (SQLite's reused WAL)
};

// Writes `bytes` to a file in `dir` with `pattern` and fdatasyncs, in a loop
// for `window`. rate = syncs/s, latency per sync.
Result<Measurement> ProbeFdatasync(const std::string& dir, size_t bytes, SyncPattern pattern,
                                   std::chrono::milliseconds window, int repeats);

}  // namespace nokv::bench
