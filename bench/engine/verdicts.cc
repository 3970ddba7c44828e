// Judging targets: find the rows a target compares, format figures and ratios.
#include "verdicts.h"

#include <string>

namespace nokv::bench {

namespace {

const Row* Find(const std::vector<Row>& rows, std::string_view id, std::string_view system,
                std::string_view config, int threads = 1) {
  for (const Row& r : rows) {
    if (r.id == id && r.system == system && r.config == config && r.threads == threads) return &r;
  }
  return nullptr;
}

void AddE1(const std::vector<Row>& rows, std::string_view holt, std::string_view sqlite,
           std::vector<Verdict>* out) {
  const Row* a = Find(rows, "E1", "holt", holt);
  const Row* b = Find(rows, "E1", "sqlite", sqlite);
  if (a == nullptr || b == nullptr) return;
  double ratio = a->value.median / b->value.median;
  out->push_back({"E1", "creates, 128/commit, " + std::string(holt) + " vs " + std::string(sqlite),
                  Figure(*a), Figure(*b), RatioText(ratio), ">= 1.5x SQLite", Met(ratio >= 1.5)});
}

void AddE2(const std::vector<Row>& rows, std::vector<Verdict>* out) {
  const Row* a = Find(rows, "E2", "holt", "wal=none");
  const Row* b = Find(rows, "E2", "sqlite", "synchronous=OFF");
  if (a == nullptr) return;
  std::string holt = Figure(*a) + " (p95 " + FormatCount(a->value.p95) + ")";
  std::string peer = b != nullptr ? Figure(*b) + " (p95 " + FormatCount(b->value.p95) + ")" : "-";
  std::string ratio = b != nullptr ? RatioText(b->value.median / a->value.median) + " faster" : "-";
  out->push_back({"E2", a->workload + ", 1 thread", holt, peer, ratio, "<= 500 ns median",
                  Met(a->value.median <= 500)});
}

void AddE3(const std::vector<Row>& rows, std::vector<Verdict>* out) {
  const Row* ceiling = nullptr;
  for (const Row& r : rows) {
    if (r.id == "P" && r.config.ends_with("append")) ceiling = &r;  // Holt's WAL appends
  }
  for (const Row& a : rows) {
    if (a.id != "E3" || a.system != "holt") continue;
    const Row* b = Find(rows, "E3", "sqlite", "synchronous=FULL", a.threads);
    std::string holt = Figure(a);
    if (ceiling != nullptr) {
      holt += " (" + RatioText(a.value.median / ceiling->value.median) + " fdatasync rate)";
    }
    bool judged = a.threads == 8;
    double ratio = b != nullptr ? a.value.median / b->value.median : 0;
    out->push_back({"E3", "durable creates, 1/commit, " + std::to_string(a.threads) + " writers",
                    holt, b != nullptr ? Figure(*b) : "-", b != nullptr ? RatioText(ratio) : "-",
                    judged ? ">= 4x SQLite FULL" : "context",
                    judged ? Met(b != nullptr && ratio >= 4) : "context"});
  }
}

void AddE4(const std::vector<Row>& rows, std::vector<Verdict>* out) {
  for (const Row& a : rows) {
    if (a.id != "E4") continue;
    std::string holt = Figure(a) + " (max " + FormatCount(a.value.max) + ")";
    out->push_back({"E4", a.workload + ", " + a.cache, holt, "-", "-",
                    "< 2 s to serving (every repeat)", Met(a.value.max < 2000.0)});
  }
}

void AddE5(const std::vector<Row>& rows, std::vector<Verdict>* out) {
  const Row* a = Find(rows, "E5", "holt", "wal=none");
  const Row* b = Find(rows, "E5", "sqlite", "synchronous=OFF");
  if (a == nullptr) return;
  double rss = Extra(*a, "rss_delta_per_file");
  std::string holt = FormatCount(rss) + " B/file RSS delta; " + Figure(*a);
  std::string peer = "-", ratio = "-";
  if (b != nullptr) {
    double peer_rss = Extra(*b, "rss_delta_per_file");
    peer = FormatCount(peer_rss) + " B/file RSS delta (page cache); " + Figure(*b);
    ratio = RatioText(rss / peer_rss) + " (RSS)";
  }
  out->push_back(
      {"E5", a->workload, holt, peer, ratio, "<= 200 B/file (RSS delta)", Met(rss <= 200)});
}

}  // namespace

std::vector<Verdict> ComputeVerdicts(const std::vector<Row>& rows) {
  std::vector<Verdict> out;
  AddE1(rows, "wal=none", "synchronous=OFF", &out);
  AddE1(rows, "wal=group", "synchronous=NORMAL", &out);
  AddE2(rows, &out);
  AddE3(rows, &out);
  AddE4(rows, &out);
  AddE5(rows, &out);
  return out;
}

}  // namespace nokv::bench
