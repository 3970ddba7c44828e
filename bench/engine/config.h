// Sizes and windows of one `nokv-bench engine` run (full or --quick).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace nokv::bench {

struct BenchConfig {
  std::chrono::milliseconds window{2000};  // every timed window
  int repeats = 3;
  int batch = 128;                  // E1 creates per batch
  uint64_t e2_files = 500'000;      // E2: 1M keys (inode + dentry per file)
  uint64_t e4_records = 1'000'000;  // E4: WAL records to replay
  uint64_t e5_files = 1'000'000;    // E5: creates (2M keys)
  std::vector<int> e3_threads = {1, 8, 32};
  size_t fdatasync_bytes = 128;  // one WAL record of one create, about
  std::string data_root;         // parent of the scratch directory

  // A smoke configuration that finishes in a few seconds.
  static BenchConfig Quick() {
    BenchConfig c;
    c.window = std::chrono::milliseconds(100);
    c.repeats = 1;
    c.e2_files = 10'000;
    c.e4_records = 20'000;
    c.e5_files = 20'000;
    c.e3_threads = {1, 8};
    return c;
  }
};

}  // namespace nokv::bench
