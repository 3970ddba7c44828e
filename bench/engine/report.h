// Benchmark rows and their two outputs: JSON lines (one object per row, for
// tools) and Markdown (machine facts, the verdict table, then every row).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "harness.h"

namespace nokv::bench {

// One measured configuration, labelled with its boundary (BENCHMARKS.md).
struct Row {
  std::string id;        // workload id: "E1".."E5", "P" for ceiling probes
  std::string workload;  // what one op is, e.g. "create (inode+dentry), 128 per batch"
  std::string system;    // "holt", "sqlite", "probe"
  std::string config;    // e.g. "wal=group", "synchronous=FULL"
  std::string layer = "L0";
  std::string durability;  // "sync", "group", "none", "-"
  std::string cache;       // "hot", "warm", "-"
  int threads = 1;
  std::string unit;          // unit of `value`, e.g. "creates/s", "ns/get", "s", "B/file"
  Summary value;             // per repeat (rates, times) or per sample (latencies)
  std::string latency_unit;  // e.g. "us/batch"; empty when no latency samples
  Summary latency;           // in latency_unit
  int repeats = 0;
  double load1 = 0;
  std::vector<std::pair<std::string, double>> extra;
};

// A headline comparison: one per target line of the issue.
struct Verdict {
  std::string id;
  std::string workload;
  std::string nokv;   // formatted figure
  std::string peer;   // formatted figure or "-"
  std::string ratio;  // formatted, or "-"
  std::string target;
  std::string met;  // "yes", "no", "context"
};

struct MachineFacts {
  int nproc = 0;
  std::string cpu_model;
  std::string kernel;
  std::string disk;  // device, filesystem and mount point holding the data dir
  double load_start[3] = {0, 0, 0};
};
MachineFacts CollectMachineFacts(const std::string& data_dir);

// "1.23M", "456K", "789" (three significant digits).
std::string FormatCount(double v);
// Fixed precision, e.g. FormatFixed(0.3141, 2) == "0.31".
std::string FormatFixed(double v, int digits);

Status WriteJsonLines(const std::string& path, const std::vector<Row>& rows);
std::string RenderMarkdown(const MachineFacts& machine, const std::string& command,
                           const std::vector<Verdict>& verdicts, const std::vector<Row>& rows);
Status WriteFile(const std::string& path, const std::string& text);

}  // namespace nokv::bench
