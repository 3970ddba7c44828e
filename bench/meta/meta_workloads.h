// The meta workloads, written once against NsStore and run for NoKV's
// MetaService and for the SQLite peer with the same names and the same timing.
#pragma once

#include <vector>

#include "bench/common/report.h"
#include "meta_config.h"
#include "ns_store.h"

namespace nokv::bench {

enum class MdtestShape {
  kEasy,  // config.easy_dirs directories of config.easy_files_per_dir files
  kHard,  // config.hard_files files in one shared directory
};

// M1: per repeat, on a fresh store: the shape's directories (untimed), then
// every file created `batch` per commit (timed; latency per commit); with
// `stat_and_remove`, every file stat'ed by path, then removed by path, one
// per call (timed; latency per call). Rows: create, then stat and remove.
Result<std::vector<Row>> RunMdtest(const MetaBenchConfig& config, const NsSpec& spec,
                                   MdtestShape shape, int batch, bool stat_and_remove);

// M3: a directory of `entries` files, filled config.dir_create_batch per
// commit on a fresh store (timed), then config.lookups random lookups per
// round and full listings in pages of config.list_page, config.repeats
// rounds each. Rows: create, lookup, list; with `footprint`, also the E5
// row: the store's figures and the process RSS delta across open + fill
// (call it first in the process, so the heap is clean).
Result<std::vector<Row>> RunBigDir(const MetaBenchConfig& config, const NsSpec& spec,
                                   uint64_t entries, bool footprint);

}  // namespace nokv::bench
