// The timing and repeat harness shared by every nokv-bench subcommand.
//
// A workload is measured in repeats ("trials"). A trial either runs `step`
// calls on N threads for a fixed window (RunWindow) or does a fixed amount of
// work and times it itself. Repeat() runs the trials, records the load
// average at start, and aggregates: per-trial rates and durations become
// Summaries (median, p95, min, max), per-step latency samples are pooled.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"

namespace nokv::bench {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start);
uint64_t NanosSince(Clock::time_point start);

// Order statistics of a sample set. p5, p95 and p99 by nearest rank.
struct Summary {
  size_t n = 0;
  double median = 0;
  double p5 = 0;
  double p95 = 0;
  double p99 = 0;
  double min = 0;
  double max = 0;
};
Summary Summarize(std::vector<double> samples);
// Every statistic of `s` multiplied by `factor` (unit conversion).
Summary Scaled(Summary s, double factor);

// One repeat of a workload: `ops` units of work in `seconds`, and optional
// per-step latency samples (nanoseconds; the workload decides what one step is).
struct Trial {
  uint64_t ops = 0;
  double seconds = 0;
  std::vector<double> latency_ns;
};

// A step does some work on thread `thread` and adds the units done to *ops.
using Step = std::function<Status(int thread, uint64_t* ops)>;

// Runs `step` in a loop on `threads` threads until `window` has passed (each
// thread finishes its current step). Every step's duration divided by
// `latency_divisor` is a latency sample. The first failing step stops all
// threads and its Status is returned.
Result<Trial> RunWindow(int threads, std::chrono::milliseconds window, const Step& step,
                        double latency_divisor = 1.0);

struct Measurement {
  int repeats = 0;
  double load1 = 0;    // 1-minute load average when the first repeat started
  Summary rate;        // ops / seconds per trial
  Summary seconds;     // trial durations
  Summary latency_ns;  // all trials' latency samples pooled
  uint64_t ops = 0;    // summed over trials
};

// Runs `trial(repeat)` `repeats` times and aggregates the results.
Result<Measurement> Repeat(int repeats, const std::function<Result<Trial>(int repeat)>& trial);

// Deterministic, cheap pseudo-random stream (xorshift64*); *state must not be 0.
inline uint64_t NextRandom(uint64_t* state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return *state * 0x2545F4914F6CDD1Dull;
}

// 1-minute load average from /proc/loadavg (0 when unreadable).
double LoadAverage1();
// Resident set size of this process from /proc/self/statm (0 when unreadable).
uint64_t ResidentSetBytes();
// Returns freed heap memory to the OS so a following RSS delta counts new memory.
void TrimHeap();
// Syncs every regular file directly in `dir` and drops its pages from the
// page cache (posix_fadvise DONTNEED), so the next read comes from the disk.
// Touches only those files, not the machine-wide cache.
Status EvictFromPageCache(const std::string& dir);

// A fresh directory under `parent`, removed with everything in it on destruction.
class TempDir {
 public:
  static Result<TempDir> Create(const std::string& parent, const std::string& prefix);
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) = delete;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace nokv::bench
