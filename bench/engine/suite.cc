// The engine suite: probes first, then E5 (before anything else grows the
// heap, so its RSS delta counts new memory), E1, E2, E3, E4.
#include "suite.h"

#include <algorithm>

#include "holt_store.h"
#include "probes.h"
#include "sqlite_store.h"
#include "workloads.h"

namespace nokv::bench {

namespace {

Result<Row> ProbeRow(Result<Measurement> m, std::string config, std::string unit, double scale,
                     std::string latency_unit) {
  if (!m.ok()) return m.status();
  Row r;
  r.system = "probe";
  r.config = std::move(config);
  r.workload = "ceiling";
  r.durability = "-";
  r.cache = "-";
  r.unit = std::move(unit);
  r.value = Scaled(m->rate, scale);
  r.latency_unit = std::move(latency_unit);
  if (!r.latency_unit.empty()) r.latency = Scaled(m->latency_ns, 1e-3);
  r.repeats = m->repeats;
  r.load1 = m->load1;
  return r;
}

void RunProbes(const BenchConfig& c, RowSink* sink) {
  sink->Add("P", ProbeRow(ProbeMemcpy(c.window, c.repeats), "memcpy 64 MiB", "GB/s", 1e-9, ""));
  std::string bytes = std::to_string(c.fdatasync_bytes) + " B ";
  for (SyncPattern p : {SyncPattern::kAppend, SyncPattern::kOverwrite}) {
    sink->Add("P", ProbeRow(ProbeFdatasync(c.data_root, c.fdatasync_bytes, p, c.window, c.repeats),
                            "fdatasync after " + bytes +
                                (p == SyncPattern::kAppend ? "append" : "overwrite"),
                            "syncs/s", 1.0, "us/sync"));
  }
}

Result<Row> RecoveryRow(const BenchConfig& c, bool cold) {
  NOKV_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create(c.data_root, "holt-recovery-"));
  NOKV_ASSIGN_OR_RETURN(Measurement m,
                        MeasureHoltRecovery(dir.path(), c.e4_records, c.repeats, cold));
  Row r;
  r.system = "holt";
  r.config = "wal=none, no checkpoint";
  r.workload = "Open replaying " + FormatCount(static_cast<double>(c.e4_records)) +
               " WAL records (1 create each)";
  r.durability = "none";
  r.cache = cold ? "cold (WAL evicted)" : "warm";
  r.unit = "ms";
  r.value = Scaled(m.seconds, 1e3);
  r.repeats = m.repeats;
  r.load1 = m.load1;
  r.extra = {{"records_per_s", m.rate.median}};
  return r;
}

}  // namespace

Status RunEngineSuite(const BenchConfig& c, const std::set<std::string>& ids,
                      std::vector<Row>* rows) {
  RowSink sink(rows);
  const std::string& root = c.data_root;
  RunProbes(c, &sink);
  if (ids.count("E5")) {
    sink.Add("E5", RunFootprint(c, HoltSpec(holt::Durability::kNone), root));
    sink.Add("E5", RunFootprint(c, SqliteSpec(SqliteSync::kOff), root));
  }
  if (ids.count("E1")) {
    for (StoreSpec spec : {HoltSpec(holt::Durability::kNone), HoltSpec(holt::Durability::kGroup),
                           SqliteSpec(SqliteSync::kOff), SqliteSpec(SqliteSync::kNormal)}) {
      sink.Add("E1", RunCreates(c, spec, root, c.batch, 1));
    }
  }
  if (ids.count("E2")) {
    sink.Add("E2", RunPointGets(c, HoltSpec(holt::Durability::kNone), root));
    sink.Add("E2", RunPointGets(c, SqliteSpec(SqliteSync::kOff), root));
  }
  if (ids.count("E3")) {
    for (int threads : c.e3_threads) {
      sink.Add("E3", RunCreates(c, HoltSpec(holt::Durability::kSync), root, 1, threads));
      sink.Add("E3", RunCreates(c, SqliteSpec(SqliteSync::kFull), root, 1, threads));
    }
  }
  if (ids.count("E4")) {
    sink.Add("E4", RecoveryRow(c, /*cold=*/false));
    sink.Add("E4", RecoveryRow(c, /*cold=*/true));
  }
  // Report order: probes, then E1..E5 (E5 ran first only for a clean heap).
  auto order = [](const Row& r) { return std::pair(r.id != "P", r.id); };
  std::stable_sort(rows->begin(), rows->end(),
                   [&](const Row& a, const Row& b) { return order(a) < order(b); });
  return sink.status();
}

}  // namespace nokv::bench
