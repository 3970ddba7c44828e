// Measurement plumbing for nokv-object-bench (see bench_report.h).
#include "bench_report.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace nokv::object::bench {
namespace {

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t idx = static_cast<size_t>(p * static_cast<double>(values.size() - 1));
  return values[idx];
}

double Median(std::vector<double> values) { return Percentile(std::move(values), 0.5); }

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

}  // namespace

double ProcessCpuSeconds(const std::vector<int>& pids) {
  double total = 0;
  long ticks = ::sysconf(_SC_CLK_TCK);
  for (int pid : pids) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    // After "pid (comm) ": state is field 3; utime and stime are fields 14, 15.
    uint64_t utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    total += static_cast<double>(utime + stime) / static_cast<double>(ticks);
  }
  return total;
}

double SelfCpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

double LoadAverage1() {
  double load[1] = {0};
  return ::getloadavg(load, 1) == 1 ? load[0] : -1;
}

LoopResult RunLoop(int threads, uint64_t total_ops, double min_seconds, const Op& op,
                   const std::vector<int>& server_pids) {
  LoopResult result;
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  using Clock = std::chrono::steady_clock;
  double server_before = ProcessCpuSeconds(server_pids);
  double client_before = SelfCpuSeconds();
  Clock::time_point start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(min_seconds);
  auto worker = [&](int thread) {
    std::vector<double> local;
    for (;;) {
      uint64_t index = next++;
      if (total_ops > 0 ? index >= total_ops : Clock::now() >= deadline) break;
      if (failed) break;
      uint64_t moved = 0;
      Clock::time_point t0 = Clock::now();
      Status s = op(thread, index, &moved);
      local.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      if (!s.ok()) {
        std::lock_guard lock(mu);
        if (result.error.ok()) result.error = s;
        failed = true;
        break;
      }
      bytes += moved;
    }
    std::lock_guard lock(mu);
    result.latencies_us.insert(result.latencies_us.end(), local.begin(), local.end());
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker, t);
  worker(0);
  for (auto& t : pool) t.join();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.client_cpu = SelfCpuSeconds() - client_before;
  result.server_cpu = ProcessCpuSeconds(server_pids) - server_before;
  result.ops = result.latencies_us.size();
  result.bytes = bytes;
  return result;
}

Report::Report(std::string jsonl_path) : jsonl_path_(std::move(jsonl_path)) {}

void Report::Add(Row row) {
  if (!jsonl_path_.empty()) {
    std::ofstream out(jsonl_path_, std::ios::app);
    for (size_t r = 0; r < row.repeats.size(); ++r) {
      const LoopResult& lr = row.repeats[r];
      out << "{\"workload\":\"" << row.workload << "\",\"store\":\"" << row.store
          << "\",\"cache\":\"" << row.cache << "\",\"concurrency\":" << row.concurrency
          << ",\"size\":\"" << row.size << "\",\"repeat\":" << r << ",\"ops\":" << lr.ops
          << ",\"bytes\":" << lr.bytes << ",\"seconds\":" << Fixed(lr.seconds, 4)
          << ",\"ops_per_s\":" << Fixed(lr.ops / lr.seconds, 1)
          << ",\"mib_per_s\":" << Fixed(lr.bytes / lr.seconds / 1048576.0, 1)
          << ",\"p50_us\":" << Fixed(Percentile(lr.latencies_us, 0.5), 1)
          << ",\"p95_us\":" << Fixed(Percentile(lr.latencies_us, 0.95), 1)
          << ",\"client_cpu_pct\":" << Fixed(100 * lr.client_cpu / lr.seconds, 1)
          << ",\"server_cpu_pct\":" << Fixed(100 * lr.server_cpu / lr.seconds, 1)
          << ",\"load1\":" << Fixed(LoadAverage1(), 2) << ",\"error\":\""
          << (lr.error.ok() ? "" : std::string(lr.error.message())) << "\"}\n";
    }
  }
  rows_.push_back(std::move(row));
}

std::string Report::Markdown() const {
  std::string out =
      "| workload | store | cache | conc | size | ops/s | MiB/s | p50 us | p95 us | client CPU % | "
      "server CPU % |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Row& row : rows_) {
    std::vector<double> ops, mib, client, server;
    std::vector<double> all_latencies;
    std::string error;
    for (const LoopResult& lr : row.repeats) {
      ops.push_back(lr.ops / lr.seconds);
      mib.push_back(lr.bytes / lr.seconds / 1048576.0);
      client.push_back(100 * lr.client_cpu / lr.seconds);
      server.push_back(100 * lr.server_cpu / lr.seconds);
      all_latencies.insert(all_latencies.end(), lr.latencies_us.begin(), lr.latencies_us.end());
      if (!lr.error.ok()) error = " (error: " + std::string(lr.error.message()) + ")";
    }
    bool has_server =
        row.store.find("s3") != std::string::npos || row.store.find("tiered") != std::string::npos;
    out += "| " + row.workload + error + " | " + row.store + " | " + row.cache + " | " +
           std::to_string(row.concurrency) + " | " + row.size + " | " + Fixed(Median(ops), 0) +
           " | " + Fixed(Median(mib), 1) + " | " + Fixed(Percentile(all_latencies, 0.5), 0) +
           " | " + Fixed(Percentile(all_latencies, 0.95), 0) + " | " + Fixed(Median(client), 0) +
           " | " + (has_server ? Fixed(Median(server), 0) : std::string("-")) + " |\n";
  }
  return out;
}

}  // namespace nokv::object::bench
