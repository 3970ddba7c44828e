// The rpc suite: M2 (ceiling, NoKV, Redis) first while the data directory is
// small, then M1, M3 and the bodies; and the verdicts.
#include "rpc_suite.h"

#include "rpc_workloads.h"

namespace nokv::bench {

namespace {

constexpr double kEasyCreateTarget = 200'000;  // M1, batch 128
constexpr double kCeilingFraction = 0.7;       // M2
constexpr double kList65kTargetMs = 20;        // M3
constexpr double kPublishTargetGBs = 1.0;      // D1, local store
constexpr double kWarmReadTarget = 20'000;     // D2, warm

void RunM2(const RpcBenchConfig& c, const ServedFs& served, const ServedFs& synced, RowSink* sink) {
  auto redis = RedisServer::Start(c.data_root);
  if (!redis.ok()) sink->Add("M2 redis", redis.status());
  for (const char* transport : {"unix", "tcp"}) {
    for (int threads : c.clients) {
      sink->Add("M2", RunCeiling(c, transport, threads));
      sink->Add("M2", RunNokvSmallCalls(c, served, transport, "create", threads));
      sink->Add("M2", RunNokvSmallCalls(c, served, transport, "stat", threads));
      if (redis.ok()) {
        for (const char* op : {"set", "get", "create"}) {
          sink->Add("M2", RunRedisSmallCalls(c, **redis, transport, op, threads));
        }
      }
    }
  }
  // Context: creates that wait for fsync run on the workers.
  for (int threads : c.clients) {
    sink->Add("M2", RunNokvSmallCalls(c, synced, "unix", "create", threads));
  }
}

// Adds every row under its own id, or the failure under `what`.
void AddAll(RowSink* sink, std::string_view what, Result<std::vector<Row>> rows) {
  if (!rows.ok()) return sink->Add(what, rows.status());
  for (Row& r : *rows) {
    std::string id = r.id;  // Add() moves the row
    sink->Add(id, std::move(r));
  }
}

}  // namespace

Status RunRpcSuite(const RpcBenchConfig& c, const std::set<std::string>& ids,
                   std::vector<Row>* rows) {
  RowSink sink(rows);
  NOKV_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create(c.data_root, "served-"));
  NOKV_ASSIGN_OR_RETURN(auto served, ServedFs::Start(dir.path(), c.durability));
  if (ids.count("M2")) {
    NOKV_ASSIGN_OR_RETURN(TempDir sync_dir, TempDir::Create(c.data_root, "served-sync-"));
    NOKV_ASSIGN_OR_RETURN(auto synced, ServedFs::Start(sync_dir.path(), fs::Durability::kSync));
    RunM2(c, *served, *synced, &sink);
  }
  if (ids.count("M1")) {
    for (int batch : c.batches) sink.Add("M1", RunMdtestEasy(c, *served, batch, false));
    for (int batch : c.batches) {
      if (batch > 1) sink.Add("M1", RunMdtestEasy(c, *served, batch, true));
    }
  }
  if (ids.count("M3")) {
    for (uint64_t entries : c.dir_sizes) AddAll(&sink, "M3", RunBigDirectory(c, *served, entries));
  }
  if (ids.count("D")) AddAll(&sink, "D", RunBodies(c, *served));
  return sink.status();
}

namespace {

const Row* Find(const std::vector<Row>& rows, const Row& like, std::string_view system,
                std::string_view workload_prefix) {
  for (const Row& r : rows) {
    if (r.id == like.id && r.system == system && r.config == like.config &&
        r.threads == like.threads && r.workload.starts_with(workload_prefix)) {
      return &r;
    }
  }
  return nullptr;
}

std::string Clients(const Row& r) {
  return r.config + ", " + std::to_string(r.threads) + (r.threads == 1 ? " client" : " clients");
}

void JudgeM2(const std::vector<Row>& rows, const Row& r, std::vector<Verdict>* out) {
  if (r.system != "nokv" || r.durability == "sync") {
    if (r.system == "nokv") {
      out->push_back({r.id, r.workload + " (" + Clients(r) + ", sync)", Figure(r), "-", "-",
                      "context", "context"});
    }
    return;
  }
  bool create = r.workload.starts_with("create");
  const Row* ceiling = Find(rows, r, "probe", "round trip");
  if (ceiling != nullptr) {
    double ratio = r.value.median / ceiling->value.median;
    out->push_back({r.id, r.workload + " (" + Clients(r) + ") vs raw round trip", Figure(r),
                    Figure(*ceiling), RatioText(ratio), ">= 0.7x ceiling",
                    Met(ratio >= kCeilingFraction)});
  }
  const Row* redis = Find(rows, r, "redis", create ? "create" : "GET");
  if (redis != nullptr) {
    double ratio = r.value.median / redis->value.median;
    out->push_back({r.id, r.workload + " (" + Clients(r) + ") vs Redis " + redis->workload,
                    Figure(r), Figure(*redis), RatioText(ratio), "ahead of Redis",
                    Met(ratio >= 1.0)});
  }
}

}  // namespace

std::vector<Verdict> ComputeRpcVerdicts(const std::vector<Row>& rows) {
  std::vector<Verdict> out;
  for (const Row& r : rows) {
    if (r.id == "M2") {
      JudgeM2(rows, r, &out);
      continue;
    }
    Verdict v{r.id, r.workload, Figure(r), "-", "-", "context", "context"};
    if (r.id == "M1") {
      v.nokv += ", " + FormatFixed(Extra(r, "cpu_us_per_create"), 1) + " CPU us/create";
    }
    if (r.id == "M1" && Extra(r, "batch") == 128) {
      v.target = ">= 200K creates/s";
      v.met = Met(r.value.median >= kEasyCreateTarget);
    } else if (r.id == "M3" && r.unit == "us/lookup") {
      v.nokv =
          "p50 " + FormatFixed(r.value.median, 1) + ", p99 " + FormatFixed(r.value.p99, 1) + " us";
    } else if (r.id == "M3" && r.unit == "ms" && Extra(r, "entries") == 65536) {
      v.target = "<= 20 ms";
      v.met = Met(r.value.median <= kList65kTargetMs);
    } else if (r.id == "D1") {
      v.nokv = FormatFixed(r.value.median, 2) + " GB/s";
      v.target = ">= 1 GB/s";
      v.met = Met(r.value.median >= kPublishTargetGBs);
    } else if (r.id == "D2") {
      v.target = "warm >= 20K/s";
      v.met = Met(r.value.median >= kWarmReadTarget);
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace nokv::bench
