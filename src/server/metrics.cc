// Metric families and /stats sections of the engine, the object store and
// the maintenance jobs.
#include "server/metrics.h"

#include <cmath>
#include <cstdint>

namespace nokv::server {
namespace {

constexpr double kNanosPerSecond = 1e9;
// Whole numbers up to 2^53 print as integers (exact in a double).
constexpr double kExactIntegers = 9007199254740992.0;

double Seconds(uint64_t nanos) { return static_cast<double>(nanos) / kNanosPerSecond; }

std::string Label(std::string_view name, std::string_view value) {
  return std::string(name) + "=\"" + std::string(value) + "\"";
}

constexpr std::array<object::StoreOp, object::kStoreOpCount> kStoreOps = {
    object::StoreOp::kPut,    object::StoreOp::kGet,  object::StoreOp::kHead,
    object::StoreOp::kDelete, object::StoreOp::kList, object::StoreOp::kSync};

constexpr const auto& kJobs = kMaintenanceJobList;

}  // namespace

void PrometheusText::Family(std::string_view name, std::string_view type, std::string_view help) {
  out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

void PrometheusText::Sample(std::string_view name, std::string_view labels, double value) {
  out_ << name;
  if (!labels.empty()) out_ << '{' << labels << '}';
  out_ << ' ';
  if (value == std::floor(value) && std::fabs(value) < kExactIntegers) {
    out_ << static_cast<int64_t>(value);
  } else {
    out_ << value;
  }
  out_ << '\n';
}

void AppendMetadataMetrics(const fs::MetadataStats& stats, int64_t now_unix_ns,
                           PrometheusText* out) {
  auto gauge = [out](const char* name, const char* help, double value) {
    out->Family(name, "gauge", help);
    out->Sample(name, "", value);
  };
  gauge("nokv_commit_sequence", "Newest visible commit sequence.",
        static_cast<double>(stats.visible_seq));
  gauge("nokv_metadata_keys", "Keys in the metadata engine.", static_cast<double>(stats.keys));
  gauge("nokv_wal_bytes", "Bytes of live WAL segments.", static_cast<double>(stats.wal_bytes));
  gauge("nokv_wal_segments", "Live WAL segment files.", static_cast<double>(stats.wal_segments));
  gauge("nokv_wal_since_checkpoint_bytes",
        "WAL bytes not in the checkpoint image (what a restart replays).",
        static_cast<double>(stats.wal_since_checkpoint_bytes));
  gauge("nokv_checkpoint_sequence", "Sequence of the newest checkpoint.",
        static_cast<double>(stats.checkpoint_seq));
  out->Family("nokv_checkpoints_total", "counter", "Checkpoint images written since the open.");
  out->Sample("nokv_checkpoints_total", "", static_cast<double>(stats.checkpoints));
  if (stats.checkpoint_unix_ns > 0) {
    double age = static_cast<double>(std::max<int64_t>(0, now_unix_ns - stats.checkpoint_unix_ns));
    gauge("nokv_checkpoint_age_seconds", "Time since the newest checkpoint image was written.",
          age / kNanosPerSecond);
  }
  const fs::LatencySummary& l = stats.commit_latency;
  out->Family("nokv_commit_latency_seconds", "summary",
              "Metadata engine commit latency since the open (quantiles within about 19%).");
  out->Sample("nokv_commit_latency_seconds", "quantile=\"0.5\"", Seconds(l.p50_ns));
  out->Sample("nokv_commit_latency_seconds", "quantile=\"0.95\"", Seconds(l.p95_ns));
  out->Sample("nokv_commit_latency_seconds", "quantile=\"0.99\"", Seconds(l.p99_ns));
  out->Sample("nokv_commit_latency_seconds_sum", "", Seconds(l.sum_ns));
  out->Sample("nokv_commit_latency_seconds_count", "", static_cast<double>(l.count));
  gauge("nokv_commit_latency_max_seconds", "Slowest metadata commit since the open.",
        Seconds(l.max_ns));
}

void AppendStoreMetrics(const object::StoreStats& stats, PrometheusText* out) {
  if (stats.counted) {
    struct Column {
      const char* name;
      const char* help;
      uint64_t object::StoreOpStats::*field;
    };
    for (const Column& c : {
             Column{"nokv_object_store_requests_total", "Object store requests by kind.",
                    &object::StoreOpStats::requests},
             Column{"nokv_object_store_errors_total",
                    "Object store requests that failed (not-found included), by kind.",
                    &object::StoreOpStats::errors},
             Column{"nokv_object_store_bytes_total",
                    "Object body bytes sent (put) and received (get).",
                    &object::StoreOpStats::bytes},
         }) {
      out->Family(c.name, "counter", c.help);
      for (object::StoreOp op : kStoreOps) {
        out->Sample(c.name, Label("op", object::StoreOpName(op)),
                    static_cast<double>(stats.op(op).*c.field));
      }
    }
  }
  if (stats.tiered) {
    out->Family("nokv_hot_tier_hits_total", "counter", "Reads served by the local hot tier.");
    out->Sample("nokv_hot_tier_hits_total", "", static_cast<double>(stats.hot_hits));
    out->Family("nokv_hot_tier_misses_total", "counter", "Reads that went to the cold store.");
    out->Sample("nokv_hot_tier_misses_total", "", static_cast<double>(stats.hot_misses));
  }
}

void AppendMaintenanceMetrics(const MaintenanceStats& stats, PrometheusText* out) {
  auto per_job = [&](const char* name, const char* type, const char* help, auto value) {
    out->Family(name, type, help);
    for (MaintenanceJob job : kJobs) {
      out->Sample(name, Label("job", MaintenanceJobName(job)), value(stats.job(job)));
    }
  };
  per_job("nokv_maintenance_runs_total", "counter", "Background job runs.",
          [](const JobStats& s) { return static_cast<double>(s.runs); });
  per_job("nokv_maintenance_failures_total", "counter", "Background job runs that failed.",
          [](const JobStats& s) { return static_cast<double>(s.failures); });
  per_job("nokv_maintenance_last_failed", "gauge", "1 when the job's latest run failed.",
          [](const JobStats& s) { return s.last_error.empty() ? 0.0 : 1.0; });
  per_job("nokv_maintenance_last_duration_seconds", "gauge", "Duration of the job's latest run.",
          [](const JobStats& s) {
            return static_cast<double>(s.last_duration.count()) / kNanosPerSecond;
          });
  const JobStats& gc = stats.job(MaintenanceJob::kGc);
  const JobStats& retention = stats.job(MaintenanceJob::kRetention);
  out->Family("nokv_gc_collected_total", "counter",
              "What background collection and retention runs removed.");
  auto collected = [&](const char* what, uint64_t meta::GcReport::*field) {
    out->Sample("nokv_gc_collected_total", Label("what", what),
                static_cast<double>(gc.totals.*field + retention.totals.*field));
  };
  collected("blocks", &meta::GcReport::blocks_deleted);
  collected("orphans", &meta::GcReport::orphans_deleted);
  collected("events", &meta::GcReport::events_pruned);
  collected("dedupe", &meta::GcReport::dedupe_pruned);
  collected("snapshots", &meta::GcReport::snapshots_expired);
  out->Family("nokv_gc_blocks_waiting", "gauge",
              "Unreferenced blocks the latest collection kept for snapshots or readers.");
  out->Sample("nokv_gc_blocks_waiting", "",
              static_cast<double>(gc.last_report.blocks_waiting_for_snapshots));
  out->Family("nokv_maintenance_checkpoints_total", "counter",
              "Checkpoints the idle-checkpoint job wrote.");
  out->Sample("nokv_maintenance_checkpoints_total", "",
              static_cast<double>(stats.job(MaintenanceJob::kCheckpoint).checkpoints));
}

Json StoreStatsJson(const object::StoreStats& stats) {
  Json out = Json::object();
  if (stats.counted) {
    Json ops = Json::object();
    for (object::StoreOp op : kStoreOps) {
      const object::StoreOpStats& s = stats.op(op);
      ops[object::StoreOpName(op)] = {
          {"requests", s.requests}, {"errors", s.errors}, {"bytes", s.bytes}};
    }
    out["ops"] = std::move(ops);
  }
  if (stats.tiered) out["hot_tier"] = {{"hits", stats.hot_hits}, {"misses", stats.hot_misses}};
  return out;
}

Json MaintenanceStatsJson(const MaintenanceStats& stats) {
  Json out = Json::object();
  for (MaintenanceJob job : kJobs) {
    const JobStats& s = stats.job(job);
    Json j = {{"runs", s.runs},
              {"failures", s.failures},
              {"last_duration_seconds", static_cast<double>(s.last_duration.count()) / 1e9},
              {"last_error", s.last_error}};
    if (job == MaintenanceJob::kCheckpoint) {
      j["checkpoints"] = s.checkpoints;
    } else if (job == MaintenanceJob::kBackup) {
      j["last_backup"] = s.last_backup;
    } else if (job == MaintenanceJob::kScrub) {
      j["blocks_verified"] = s.scrub_blocks_verified;
      j["findings"] = s.scrub_findings;
    } else {
      j["last_report"] = ToWire(s.last_report);
      j["totals"] = ToWire(s.totals);
    }
    out[MaintenanceJobName(job)] = std::move(j);
  }
  return out;
}

}  // namespace nokv::server
