// LatencyHistogram: lock-free counts of durations in logarithmic buckets.
//
// Record() is safe from any thread; Snapshot() gives approximate percentiles
// (each bucket spans a quarter of a power of two, so within ~19%).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace nokv::holt {

class LatencyHistogram {
 public:
  static constexpr int kBuckets = 160;

  void Record(uint64_t nanos);

  struct Summary {
    uint64_t count = 0;
    uint64_t sum_ns = 0;  // of every recorded duration
    uint64_t p50_ns = 0;
    uint64_t p95_ns = 0;
    uint64_t p99_ns = 0;
    uint64_t max_ns = 0;
  };
  Summary Summarize() const;

 private:
  static int BucketOf(uint64_t nanos);
  static uint64_t BucketUpperBound(int bucket);

  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> max_ns_{0};
  std::atomic<uint64_t> sum_ns_{0};
};

}  // namespace nokv::holt
