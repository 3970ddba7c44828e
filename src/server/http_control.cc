// HttpControl: routes, the /stats document and the Prometheus exposition.
#include "server/http_control.h"

#include <httplib.h>

#include <chrono>
#include <sstream>

#include "rpc/address.h"
#include "rpc/auth.h"
#include "server/metrics.h"

namespace nokv::server {
namespace {

int64_t UnixNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

HttpControl::HttpControl(fs::Metadata* metadata, MetadataMethods* methods, rpc::Server* rpc,
                         std::string token)
    : metadata_(metadata),
      methods_(methods),
      rpc_(rpc),
      token_(std::move(token)),
      http_(std::make_unique<httplib::Server>()) {
  Routes();
}

HttpControl::~HttpControl() { Stop(); }

Result<int> HttpControl::Listen(const std::string& host, int port) {
  // By what the name resolves to: "127.example.com" is not loopback.
  if (!rpc::HostIsLoopback(host) && token_.empty()) {
    return Status::PermissionDenied("an HTTP listener on " + host +
                                    " needs a token (--token-file or NOKV_TOKEN)");
  }
  int bound =
      port == 0 ? http_->bind_to_any_port(host) : (http_->bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    return Status::Unavailable("cannot listen for HTTP on " + host + ":" + std::to_string(port));
  }
  return bound;
}

void HttpControl::Start() {
  thread_ = std::thread([this] { http_->listen_after_bind(); });
}

void HttpControl::Stop() {
  if (!thread_.joinable()) return;
  http_->stop();
  thread_.join();
}

bool HttpControl::Authorized(const std::string& header) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (token_.empty() || header.rfind(kBearer, 0) != 0) return false;
  return rpc::TokensEqual(std::string_view(header).substr(kBearer.size()), token_);
}

bool HttpControl::Readable(const httplib::Request& req, httplib::Response& res) const {
  // The figures name files (scrub findings, job errors): off loopback they
  // are for holders of the token. A listener off loopback always has one.
  if (token_.empty() || rpc::HostIsLoopback(req.remote_addr) ||
      Authorized(req.get_header_value("Authorization"))) {
    return true;
  }
  res.status = 401;
  res.set_header("WWW-Authenticate", "Bearer");
  res.set_content(req.path + " from " + req.remote_addr +
                      " needs \"Authorization: Bearer <token>\" (only loopback reads it without)\n",
                  "text/plain");
  return false;
}

void HttpControl::Routes() {
  http_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  http_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    auto stats = metadata_->Stats();
    res.status = stats.ok() ? 200 : 503;
    res.set_content(stats.ok() ? "ready\n" : std::string(stats.status().message()) + "\n",
                    "text/plain");
  });
  http_->Get("/stats", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Readable(req, res)) return;
    // Error texts may carry names that are not UTF-8.
    res.set_content(StatsJson().dump(-1, ' ', false, Json::error_handler_t::replace),
                    "application/json");
  });
  http_->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Readable(req, res)) return;
    res.set_content(MetricsText(), "text/plain; version=0.0.4");
  });
  auto maintenance = [this](const char* what, std::function<Result<Json>()> run) {
    return [this, what, run](const httplib::Request& req, httplib::Response& res) {
      if (!Authorized(req.get_header_value("Authorization"))) {
        res.status = 401;
        res.set_content(std::string(what) + " needs \"Authorization: Bearer <token>\"" +
                            (token_.empty() ? " (this server has no token)" : "") + "\n",
                        "text/plain");
        return;
      }
      auto result = run();
      if (!result.ok()) {
        res.status = 500;
        res.set_content(std::string(result.status().message()) + "\n", "text/plain");
        return;
      }
      res.set_content(result->dump(), "application/json");
    };
  };
  http_->Post("/gc", maintenance("POST /gc", [this]() -> Result<Json> {
                NOKV_ASSIGN_OR_RETURN(meta::GcReport report, metadata_->CollectGarbage());
                return ToWire(report);
              }));
  http_->Post("/checkpoint", maintenance("POST /checkpoint", [this]() -> Result<Json> {
                NOKV_RETURN_IF_ERROR(metadata_->Checkpoint());
                return Json{{"checkpointed", true}};
              }));
}

Json HttpControl::StatsJson() {
  Json out = Json::object();
  if (auto stats = metadata_->Stats(); stats.ok()) {
    out["metadata"] = ToWire(*stats);
    if (stats->checkpoint_unix_ns > 0) {
      out["metadata"]["checkpoint_age_seconds"] =
          static_cast<double>(UnixNanos() - stats->checkpoint_unix_ns) / 1e9;
    }
  }
  if (auto totals = metadata_->Totals(); totals.ok()) out["namespace"] = ToWire(*totals);
  rpc::ServerStats r = rpc_->Stats();
  out["rpc"] = {{"connections_open", r.connections_open},
                {"connections_total", r.connections_total},
                {"connections_rejected", r.connections_rejected},
                {"requests_in_flight", r.requests_in_flight},
                {"frames_in", r.frames_in},
                {"frames_out", r.frames_out},
                {"bytes_in", r.bytes_in},
                {"bytes_out", r.bytes_out},
                {"protocol_errors", r.protocol_errors},
                {"auth_failures", r.auth_failures},
                {"handshake_timeouts", r.handshake_timeouts},
                {"handshakes_evicted", r.handshakes_evicted},
                {"idle_timeouts", r.idle_timeouts}};
  Json methods = Json::object();
  for (const auto& [name, c] : methods_->counters()) {
    uint64_t calls = c.calls.load();
    if (calls == 0) continue;
    methods[name] = {{"calls", calls}, {"errors", c.errors.load()}};
  }
  out["methods"] = std::move(methods);
  out["leases"] = methods_->leases();
  if (store_ != nullptr) out["object_store"] = StoreStatsJson(store_->Stats());
  if (maintenance_ != nullptr) out["maintenance"] = MaintenanceStatsJson(maintenance_->Stats());
  return out;
}

std::string HttpControl::MetricsText() {
  PrometheusText out;
  out.Family("nokv_rpc_requests_total", "counter", "Metadata RPC requests by method and outcome.");
  for (const auto& [name, c] : methods_->counters()) {
    uint64_t calls = c.calls.load(), errors = c.errors.load();
    if (calls == 0) continue;
    out.Sample("nokv_rpc_requests_total", "method=\"" + name + "\",outcome=\"ok\"",
               static_cast<double>(calls - errors));
    out.Sample("nokv_rpc_requests_total", "method=\"" + name + "\",outcome=\"error\"",
               static_cast<double>(errors));
  }
  out.Family("nokv_rpc_request_duration_seconds", "histogram",
             "Time the server spent on a metadata RPC request.");
  for (const auto& [name, c] : methods_->counters()) {
    uint64_t calls = c.calls.load();
    if (calls == 0) continue;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kLatencyBuckets; ++i) {
      cumulative += c.buckets[i].load();
      std::ostringstream le;
      if (i < std::size(kLatencyBounds)) {
        le << kLatencyBounds[i];
      } else {
        le << "+Inf";
      }
      out.Sample("nokv_rpc_request_duration_seconds_bucket",
                 "method=\"" + name + "\",le=\"" + le.str() + "\"",
                 static_cast<double>(cumulative));
    }
    out.Sample("nokv_rpc_request_duration_seconds_sum", "method=\"" + name + "\"",
               static_cast<double>(c.nanos.load()) / 1e9);
    out.Sample("nokv_rpc_request_duration_seconds_count", "method=\"" + name + "\"",
               static_cast<double>(calls));
  }
  rpc::ServerStats r = rpc_->Stats();
  out.Family("nokv_rpc_connections_open", "gauge", "Open RPC connections.");
  out.Sample("nokv_rpc_connections_open", "", static_cast<double>(r.connections_open));
  out.Family("nokv_rpc_connections_total", "counter", "RPC connections accepted.");
  out.Sample("nokv_rpc_connections_total", "", static_cast<double>(r.connections_total));
  out.Family("nokv_rpc_bytes_total", "counter", "RPC bytes by direction.");
  out.Sample("nokv_rpc_bytes_total", "direction=\"in\"", static_cast<double>(r.bytes_in));
  out.Sample("nokv_rpc_bytes_total", "direction=\"out\"", static_cast<double>(r.bytes_out));
  out.Family("nokv_rpc_protocol_errors_total", "counter", "Malformed hellos and frames.");
  out.Sample("nokv_rpc_protocol_errors_total", "", static_cast<double>(r.protocol_errors));
  out.Family("nokv_rpc_auth_failures_total", "counter", "Hellos refused for their token.");
  out.Sample("nokv_rpc_auth_failures_total", "", static_cast<double>(r.auth_failures));
  out.Family("nokv_leases_held", "gauge", "Pins and upload leases held for RPC clients.");
  out.Sample("nokv_leases_held", "", static_cast<double>(methods_->leases()));
  if (auto stats = metadata_->Stats(); stats.ok()) {
    AppendMetadataMetrics(*stats, UnixNanos(), &out);
  }
  if (store_ != nullptr) AppendStoreMetrics(store_->Stats(), &out);
  if (maintenance_ != nullptr) AppendMaintenanceMetrics(maintenance_->Stats(), &out);
  return out.str();
}

}  // namespace nokv::server
