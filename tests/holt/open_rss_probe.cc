// Measures the peak resident memory of opening an engine whose state is in a
// large checkpoint image. Not a test: it prints numbers for docs/holt.md.
//
//   open_rss_probe populate DIR KEYS VALUE_BYTES   writes KEYS keys, checkpoints
//   open_rss_probe open DIR                        opens DIR, prints VmHWM
//
// Run the two steps as separate processes so the open starts from a clean
// peak.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "holt/engine.h"

namespace {

// Peak resident set size of this process in KiB (VmHWM), or -1.
long PeakRssKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

nokv::holt::Options ProbeOptions() {
  nokv::holt::Options options;
  options.background_work = false;
  options.checkpoint_wal_bytes = 0;
  options.durability = nokv::holt::Durability::kNone;
  return options;
}

int Populate(const std::string& dir, long keys, long value_bytes) {
  auto engine = nokv::holt::Engine::Open(dir, ProbeOptions());
  if (!engine.ok()) {
    std::fprintf(stderr, "open: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  constexpr long kKeysPerBatch = 64;
  std::string value(static_cast<size_t>(value_bytes), 'v');
  for (long i = 0; i < keys; i += kKeysPerBatch) {
    nokv::holt::Batch batch;
    for (long k = i; k < i + kKeysPerBatch && k < keys; ++k) {
      batch.Put("key/" + std::to_string(k), value);
    }
    auto seq = (*engine)->Commit(batch);
    if (!seq.ok()) {
      std::fprintf(stderr, "commit: %s\n", seq.status().ToString().c_str());
      return 1;
    }
  }
  nokv::Status s = (*engine)->Checkpoint();
  if (!s.ok()) {
    std::fprintf(stderr, "checkpoint: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

int OpenAndReport(const std::string& dir) {
  long before = PeakRssKib();
  auto engine = nokv::holt::Engine::Open(dir, ProbeOptions());
  if (!engine.ok()) {
    std::fprintf(stderr, "open: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  nokv::holt::Stats stats = (*engine)->GetStats();
  std::printf("keys %llu  record_bytes %.1f MiB  peak RSS before open %.1f MiB, after %.1f MiB\n",
              static_cast<unsigned long long>(stats.keys), stats.record_bytes / 1048576.0,
              before / 1024.0, PeakRssKib() / 1024.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "populate" && argc == 5) {
    return Populate(argv[2], std::atol(argv[3]), std::atol(argv[4]));
  }
  if (mode == "open" && argc == 3) return OpenAndReport(argv[2]);
  std::fprintf(stderr, "usage: %s populate DIR KEYS VALUE_BYTES | open DIR\n", argv[0]);
  return 2;
}
