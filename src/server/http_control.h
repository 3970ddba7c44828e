// HttpControl: the metadata server's HTTP side (cpp-httplib), for probes,
// dashboards and operators:
//
//   GET  /healthz     200 "ok" while the process serves
//   GET  /readyz      200 when the metadata answers, 503 otherwise
//   GET  /stats       JSON: metadata figures (WAL, checkpoint, commit
//                     latency), RPC transport counters, calls per method,
//                     leases held, object-store counters, maintenance jobs
//   GET  /metrics     the same in Prometheus text format, with per-method
//                     latency histograms (server/metrics.h)
//   POST /gc          one collection run; JSON report
//   POST /checkpoint  a metadata checkpoint now
//
// The POST endpoints need `Authorization: Bearer <token>` (compared in
// constant time) and are refused when the server has no token. With a token,
// /stats and /metrics need it too from a peer that is not loopback. The token is
// never written to any response. docs/cli.md ("nokv serve") lists the metrics.
//
// Thread-safety: Listen and Start from one thread; Stop from any.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "fs/metadata.h"
#include "object/object_store.h"
#include "rpc/server.h"
#include "server/maintenance.h"
#include "server/methods.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace nokv::server {

class HttpControl {
 public:
  // Everything passed in must outlive this object.
  HttpControl(fs::Metadata* metadata, MetadataMethods* methods, rpc::Server* rpc,
              std::string token);
  ~HttpControl();

  // Binds `host:port` (port 0: any) and returns the bound port. A listener
  // off loopback needs a token (PermissionDenied otherwise).
  Result<int> Listen(const std::string& host, int port);
  // Optional sources of figures, set before Start; each must outlive this
  // object. The store's request counters and hot tier (Filesystem::store()),
  // and the background jobs.
  void SetObjectStore(object::ObjectStore* store) { store_ = store; }
  void SetMaintenance(const Maintenance* maintenance) { maintenance_ = maintenance; }

  // Serves on a background thread until Stop.
  void Start();
  void Stop();

  // The bodies of GET /stats and GET /metrics (also used by tests).
  Json StatsJson();
  std::string MetricsText();

 private:
  void Routes();
  bool Authorized(const std::string& header) const;
  // GET /stats and /metrics: open on loopback or without a token; otherwise
  // the bearer token is needed (else `res` becomes a 401 and false).
  bool Readable(const httplib::Request& req, httplib::Response& res) const;

  fs::Metadata* metadata_;
  MetadataMethods* methods_;
  rpc::Server* rpc_;
  object::ObjectStore* store_ = nullptr;
  const Maintenance* maintenance_ = nullptr;
  std::string token_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
};

}  // namespace nokv::server
