// Logarithmic latency buckets: 4 linear sub-buckets per power of two.
#include "holt/histogram.h"

#include <bit>

namespace nokv::holt {

int LatencyHistogram::BucketOf(uint64_t nanos) {
  if (nanos < 4) return static_cast<int>(nanos);
  int log = 63 - std::countl_zero(nanos);  // >= 2
  int sub = static_cast<int>((nanos >> (log - 2)) & 3);
  int bucket = log * 4 + sub - 4;  // 4.. for nanos >= 4
  return bucket < kBuckets ? bucket : kBuckets - 1;
}

uint64_t LatencyHistogram::BucketUpperBound(int bucket) {
  if (bucket < 4) return static_cast<uint64_t>(bucket);
  int log = (bucket + 4) / 4;
  int sub = (bucket + 4) % 4;
  return (uint64_t{4 + static_cast<uint64_t>(sub) + 1} << (log - 2)) - 1;
}

void LatencyHistogram::Record(uint64_t nanos) {
  counts_[BucketOf(nanos)].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(nanos, std::memory_order_relaxed);
  uint64_t seen = max_ns_.load(std::memory_order_relaxed);
  while (nanos > seen && !max_ns_.compare_exchange_weak(seen, nanos, std::memory_order_relaxed)) {
  }
}

LatencyHistogram::Summary LatencyHistogram::Summarize() const {
  Summary s;
  std::array<uint64_t, kBuckets> counts;
  for (int i = 0; i < kBuckets; ++i) {
    counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.count += counts[i];
  }
  s.max_ns = max_ns_.load(std::memory_order_relaxed);
  s.sum_ns = sum_ns_.load(std::memory_order_relaxed);
  if (s.count == 0) return s;
  auto percentile = [&](double q) {
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(s.count - 1)) + 1;
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts[i];
      if (seen >= rank) return std::min(BucketUpperBound(i), s.max_ns);
    }
    return s.max_ns;
  };
  s.p50_ns = percentile(0.50);
  s.p95_ns = percentile(0.95);
  s.p99_ns = percentile(0.99);
  return s;
}

}  // namespace nokv::holt
