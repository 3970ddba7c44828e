// The engine suite: which configurations each row id runs, in which order.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "bench/common/report.h"
#include "config.h"

namespace nokv::bench {

// Runs the ceiling probes and the rows in `ids` (E1..E5) with scratch data
// under config.data_root, appending results to *rows in report order. A row
// that fails is reported on stderr and skipped; the first failure is returned
// after the remaining rows ran.
Status RunEngineSuite(const BenchConfig& config, const std::set<std::string>& ids,
                      std::vector<Row>* rows);

}  // namespace nokv::bench
