// The engine workloads, written once against ShapeStore and run for Holt and
// for the SQLite peer with the same key stream and the same harness.
#pragma once

#include <string>

#include "bench/common/report.h"
#include "config.h"
#include "store.h"

namespace nokv::bench {

// E1 / E3: `threads` writers commit `batch` creates per Create() call for one
// window per repeat, each repeat on a fresh, empty store under `root`.
// value: creates/s; latency: per Create() call.
Result<Row> RunCreates(const BenchConfig& config, const StoreSpec& spec, const std::string& root,
                       int batch, int threads);

// E2: loads config.e2_files creates, reads every key once (hot, and checks
// they all exist), then times random point lookups (inode or dentry, 50/50)
// in steps of 1000 on one thread. value: ns per lookup, per step.
Result<Row> RunPointGets(const BenchConfig& config, const StoreSpec& spec, const std::string& root);

// E5: loads config.e5_files creates into a fresh store, 128 per batch, and
// reports the store's footprint per file (Holt: resident bytes; SQLite: file
// bytes) and the process RSS delta per file across open + load.
Result<Row> RunFootprint(const BenchConfig& config, const StoreSpec& spec, const std::string& root);

}  // namespace nokv::bench
