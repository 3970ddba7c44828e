// The server's figures as Prometheus text (exposition format 0.0.4) and as
// the sections of the /stats JSON: metadata engine (commit latency, WAL and
// checkpoint state), object store (requests, errors and bytes per kind of
// request, hot-tier hits and misses) and the maintenance jobs. HttpControl
// serves them; docs/cli.md ("Metrics") lists every family.
//
// Thread-safety: PrometheusText is used by one thread; the functions are
// pure.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

#include "fs/metadata.h"
#include "object/object_store.h"
#include "server/codec.h"
#include "server/maintenance.h"

namespace nokv::server {

class PrometheusText {
 public:
  // Starts a metric family: its # HELP and # TYPE lines.
  void Family(std::string_view name, std::string_view type, std::string_view help);
  // One sample; `labels` is the text between the braces ("" for none).
  // Whole numbers print exactly.
  void Sample(std::string_view name, std::string_view labels, double value);
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

// nokv_commit_sequence, nokv_metadata_keys, nokv_wal_*, nokv_checkpoint_*,
// nokv_commit_latency_seconds. `now_unix_ns` dates the checkpoint's age.
void AppendMetadataMetrics(const fs::MetadataStats& stats, int64_t now_unix_ns,
                           PrometheusText* out);
// nokv_object_store_{requests,errors,bytes}_total{op}, nokv_hot_tier_*.
// Nothing for a store that counts nothing.
void AppendStoreMetrics(const object::StoreStats& stats, PrometheusText* out);
// nokv_maintenance_*{job}, nokv_gc_collected_total{what}, nokv_gc_blocks_waiting.
void AppendMaintenanceMetrics(const MaintenanceStats& stats, PrometheusText* out);

// The "object_store" and "maintenance" sections of /stats.
Json StoreStatsJson(const object::StoreStats& stats);
Json MaintenanceStatsJson(const MaintenanceStats& stats);

}  // namespace nokv::server
