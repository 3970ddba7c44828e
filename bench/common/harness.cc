// The timing and repeat harness: windows on N threads, repeats, order statistics,
// load average, RSS and temporary directories.
#include "bench/common/harness.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace nokv::bench {

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

uint64_t NanosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

namespace {

// Nearest-rank percentile of sorted samples, q in [0, 1].
double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

Summary Summarize(std::vector<double> samples) {
  Summary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.n = samples.size();
  size_t mid = samples.size() / 2;
  s.median = samples.size() % 2 == 1 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2;
  s.p5 = Percentile(samples, 0.05);
  s.p95 = Percentile(samples, 0.95);
  s.p99 = Percentile(samples, 0.99);
  s.min = samples.front();
  s.max = samples.back();
  return s;
}

Summary Scaled(Summary s, double factor) {
  s.median *= factor;
  s.p5 *= factor;
  s.p95 *= factor;
  s.p99 *= factor;
  s.min *= factor;
  s.max *= factor;
  return s;
}

Result<Trial> RunWindow(int threads, std::chrono::milliseconds window, const Step& step,
                        double latency_divisor) {
  std::atomic<bool> stop{false};
  std::mutex mu;
  Status first_error;
  std::vector<uint64_t> ops(threads, 0);
  std::vector<std::vector<double>> samples(threads);
  Clock::time_point start = Clock::now();
  Clock::time_point deadline = start + window;
  auto body = [&](int t) {
    while (!stop.load(std::memory_order_relaxed) && Clock::now() < deadline) {
      Clock::time_point step_start = Clock::now();
      Status s = step(t, &ops[t]);
      samples[t].push_back(static_cast<double>(NanosSince(step_start)) / latency_divisor);
      if (!s.ok()) {
        std::lock_guard lock(mu);
        if (first_error.ok()) first_error = s;
        stop.store(true);
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(body, t);
  body(0);
  for (auto& th : pool) th.join();
  if (!first_error.ok()) return first_error;
  Trial trial;
  trial.seconds = SecondsSince(start);
  for (int t = 0; t < threads; ++t) {
    trial.ops += ops[t];
    trial.latency_ns.insert(trial.latency_ns.end(), samples[t].begin(), samples[t].end());
  }
  return trial;
}

Result<Measurement> Repeat(int repeats, const std::function<Result<Trial>(int repeat)>& trial) {
  Measurement m;
  m.repeats = repeats;
  m.load1 = LoadAverage1();
  std::vector<double> rates, seconds, latency;
  for (int r = 0; r < repeats; ++r) {
    NOKV_ASSIGN_OR_RETURN(Trial t, trial(r));
    m.ops += t.ops;
    seconds.push_back(t.seconds);
    rates.push_back(t.seconds > 0 ? static_cast<double>(t.ops) / t.seconds : 0);
    latency.insert(latency.end(), t.latency_ns.begin(), t.latency_ns.end());
  }
  m.rate = Summarize(std::move(rates));
  m.seconds = Summarize(std::move(seconds));
  m.latency_ns = Summarize(std::move(latency));
  return m;
}

double LoadAverage1() {
  std::ifstream in("/proc/loadavg");
  double load = 0;
  in >> load;
  return in ? load : 0;
}

uint64_t ResidentSetBytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size_pages = 0, resident_pages = 0;
  in >> size_pages >> resident_pages;
  if (!in) return 0;
  return resident_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

void TrimHeap() { malloc_trim(0); }

Status EvictFromPageCache(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::string path = entry.path().string();
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno(errno, "open " + path);
    int rc = fdatasync(fd) == 0 ? posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) : errno;
    close(fd);
    if (rc != 0) return Status::FromErrno(rc, "evict " + path);
  }
  if (ec) return Status::IOError("list " + dir + ": " + ec.message());
  return Status::Ok();
}

Result<TempDir> TempDir::Create(const std::string& parent, const std::string& prefix) {
  std::string pattern = parent + "/" + prefix + "XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return Status::FromErrno(errno, "mkdtemp " + pattern);
  return TempDir(pattern);
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace nokv::bench
