// Judging the meta targets: pair each NoKV row with its SQLite row (same id,
// workload and durability), format figures and ratios, and apply the targets.
#include <string>

#include "meta_suite.h"

namespace nokv::bench {

namespace {

constexpr double kEasyCreateTarget = 200'000;  // M1: creates/s, batch 128, one client
constexpr double kList65kTargetMs = 20;        // M3: full listing of a 65k directory
constexpr double kFlatFactor = 2;              // M3: largest vs smallest directory
constexpr double kFootprintTarget = 200;       // E5: B/file RSS delta

const Row* PeerOf(const std::vector<Row>& rows, const Row& a) {
  for (const Row& r : rows) {
    if (r.system == "sqlite" && r.id == a.id && r.workload == a.workload &&
        r.durability == a.durability) {
      return &r;
    }
  }
  return nullptr;
}

std::string LatencyFigure(const Row& r) {
  return "p50 " + FormatCount(r.value.median) + ", p99 " + FormatCount(r.value.p99) + " us";
}

// Context verdict of a NoKV row against its peer: for rates NoKV / SQLite,
// for latencies and times SQLite / NoKV ("faster").
Verdict Compare(const std::vector<Row>& rows, const Row& a) {
  const Row* b = PeerOf(rows, a);
  bool rate = a.unit.ends_with("/s");
  bool lookup = a.unit == "us/lookup";
  Verdict v{a.id,
            a.workload + " (" + a.config + ")",
            lookup ? LatencyFigure(a) : Figure(a),
            "-",
            "-",
            "context",
            "context"};
  if (b == nullptr) return v;
  v.peer = lookup ? LatencyFigure(*b) : Figure(*b);
  v.ratio = rate ? RatioText(a.value.median / b->value.median)
                 : RatioText(b->value.median / a.value.median) + " faster";
  return v;
}

// The row of `id` whose extra "entries" is smallest (largest with `largest`).
const Row* BySize(const std::vector<Row>& rows, const Row& like, bool largest) {
  const Row* best = nullptr;
  for (const Row& r : rows) {
    if (r.id != like.id || r.system != like.system || r.unit != like.unit) continue;
    double n = Extra(r, "entries");
    if (best == nullptr || (largest ? n > Extra(*best, "entries") : n < Extra(*best, "entries"))) {
      best = &r;
    }
  }
  return best;
}

void JudgeM1(const Row& a, Verdict* v) {
  if (a.workload.starts_with("mdtest-easy") && a.workload.ends_with("create, 128/commit") &&
      a.durability == "none") {
    v->target = ">= 200K creates/s";
    v->met = Met(a.value.median >= kEasyCreateTarget);
  }
}

void JudgeM3(const std::vector<Row>& rows, const Row& a, Verdict* v) {
  double n = Extra(a, "entries");
  if (a.unit == "ms" && n == 65536) {
    v->target = "<= 20 ms";
    v->met = Met(a.value.median <= kList65kTargetMs);
    return;
  }
  const Row* small = BySize(rows, a, false);
  if (a.unit == "ms" || BySize(rows, a, true) != &a || small == &a) return;
  if (a.unit == "creates/s") {
    v->target = "flat: >= 1/2 of the " + FormatCount(Extra(*small, "entries")) + " rate";
    v->met = Met(a.value.median * kFlatFactor >= small->value.median);
  } else {
    v->target = "flat: p50 <= 2x the " + FormatCount(Extra(*small, "entries")) + " p50";
    v->met = Met(a.value.median <= kFlatFactor * small->value.median);
  }
}

Verdict JudgeE5(const std::vector<Row>& rows, const Row& a) {
  double rss = Extra(a, "rss_delta_per_file");
  Verdict v{"E5",
            a.workload + " (" + a.config + ")",
            FormatCount(rss) + " B/file RSS delta; " + Figure(a) + "; " +
                FormatCount(Extra(a, "arena_bytes") / Extra(a, "files")) + " arena B/file",
            "-",
            "-",
            "<= 200 B/file (RSS delta)",
            Met(rss <= kFootprintTarget)};
  if (const Row* b = PeerOf(rows, a); b != nullptr) {
    double peer_rss = Extra(*b, "rss_delta_per_file");
    v.peer = FormatCount(peer_rss) + " B/file RSS delta (page cache); " + Figure(*b);
    v.ratio = RatioText(rss / peer_rss) + " (RSS)";
  }
  return v;
}

}  // namespace

std::vector<Verdict> ComputeMetaVerdicts(const std::vector<Row>& rows) {
  std::vector<Verdict> out;
  for (const Row& a : rows) {
    if (a.system != "nokv") continue;
    if (a.id == "E5") {
      out.push_back(JudgeE5(rows, a));
      continue;
    }
    Verdict v = Compare(rows, a);
    if (a.id == "M1") JudgeM1(a, &v);
    if (a.id == "M3") JudgeM3(rows, a, &v);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace nokv::bench
