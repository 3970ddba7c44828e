// Benchmark rows and their two outputs: JSON lines (one object per row, for
// tools) and Markdown (machine facts, the verdict table, then every row),
// plus the small helpers every suite uses to collect rows and judge targets.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "bench/common/harness.h"
#include "common/result.h"

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

// A store's own size figures: the headline byte count (Holt: Stats.resident_bytes;
// SQLite: database file bytes) and details for the JSON row.
struct Footprint {
  uint64_t bytes = 0;
  std::vector<std::pair<std::string, double>> details;
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

// Column headings and captions of a report; the defaults are the engine suite's.
struct ReportLabels {
  std::string nokv_column = "NoKV (Holt)";
  std::string peer_column = "peer (SQLite)";
  std::string rows_note =
      "value: median over repeats (per-get latency rows: over 1000-get samples); "
      "spread: min .. max of the same; latency: p50 / p95 over every commit or sync.";
};

Status WriteJsonLines(const std::string& path, const std::vector<Row>& rows);
std::string RenderMarkdown(const MachineFacts& machine, const std::string& command,
                           const std::vector<Verdict>& verdicts, const std::vector<Row>& rows,
                           const ReportLabels& labels = {});
Status WriteFile(const std::string& path, const std::string& text);

// Collects rows of a suite, logs each to stderr as it lands, and remembers
// the first failure (a failed row is reported and skipped).
class RowSink {
 public:
  explicit RowSink(std::vector<Row>* rows) : rows_(rows) {}
  void Add(std::string_view id, Result<Row> row);
  Status status() const { return status_; }

 private:
  std::vector<Row>* rows_;
  Status status_;
};

// Verdict helpers: "<median> <unit>", "1.23x", "yes"/"no", and an `extra` figure (0 if absent).
std::string Figure(const Row& r);
std::string RatioText(double x);
const char* Met(bool ok);
double Extra(const Row& r, std::string_view key);

}  // namespace nokv::bench
