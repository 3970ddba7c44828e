// Measurement plumbing for nokv-object-bench: timed concurrent loops, latency
// percentiles, CPU accounting of the client and of server processes (RGW,
// OSD, MON) from /proc, and result rows written as JSON lines + Markdown.
//
// Not thread-safe unless stated: a Report is filled by the main thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace nokv::object::bench {

// CPU seconds (user + system) used so far by each pid; missing pids count 0.
double ProcessCpuSeconds(const std::vector<int>& pids);
double SelfCpuSeconds();
double LoadAverage1();

struct LoopResult {
  uint64_t ops = 0;
  uint64_t bytes = 0;
  double seconds = 0;
  double client_cpu = 0;  // CPU seconds of this process during the loop
  double server_cpu = 0;  // CPU seconds of the server pids during the loop
  std::vector<double> latencies_us;
  Status error;
};

// Runs `op(thread, index)` on `threads` threads. With `total_ops` > 0 the
// indexes 0..total_ops-1 are shared out once; otherwise each thread loops
// until `min_seconds` have passed. `op` returns bytes moved or an error.
using Op = std::function<Status(int thread, uint64_t index, uint64_t* bytes)>;
LoopResult RunLoop(int threads, uint64_t total_ops, double min_seconds, const Op& op,
                   const std::vector<int>& server_pids);

// One result row: a workload on a store at a concurrency, over repeats.
struct Row {
  std::string workload;
  std::string store;
  std::string cache;  // "", "cold", "warm"
  int concurrency = 1;
  std::string size;  // "16KiB", "1MiB", "1024x1MiB", ...
  std::vector<LoopResult> repeats;
};

class Report {
 public:
  explicit Report(std::string jsonl_path);
  void Add(Row row);
  // The Markdown table of every row (median of repeats; p50/p95 over all ops).
  std::string Markdown() const;
  const std::string& jsonl_path() const { return jsonl_path_; }

 private:
  std::string jsonl_path_;
  std::vector<Row> rows_;
};

}  // namespace nokv::object::bench
