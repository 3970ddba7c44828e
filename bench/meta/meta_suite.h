// The meta suite (`nokv-bench meta`): which configurations each row id runs,
// in which order, and the verdicts against the targets of BENCHMARKS.md.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "bench/common/report.h"
#include "meta_config.h"

namespace nokv::bench {

// Runs the rows in `ids` (E5, M1, M3) with scratch data under
// config.data_root, each configuration for NoKV then for SQLite, appending
// to *rows in report order (M1, M3, E5). E5 and the largest M3 directory
// run first, in a clean heap. A failed configuration is reported on stderr
// and skipped; the first failure is returned after the rest ran.
Status RunMetaSuite(const MetaBenchConfig& config, const std::set<std::string>& ids,
                    std::vector<Row>* rows);

// One verdict per target: M1 mdtest-easy batch 128 (>= 200K creates/s),
// M3 flatness (largest vs smallest directory) and the 65k listing (<= 20 ms),
// E5 (<= 200 B/file RSS delta); the other rows as context.
std::vector<Verdict> ComputeMetaVerdicts(const std::vector<Row>& rows);

}  // namespace nokv::bench
