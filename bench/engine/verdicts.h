// The headline table: each target of the issue, judged from the measured rows.
#pragma once

#include <vector>

#include "bench/common/report.h"

namespace nokv::bench {

// One verdict per target whose rows were measured (E1 none/OFF and
// group/NORMAL, E2, E3 at each writer count, E4, E5); rows missing from a
// partial run (--rows) are skipped.
std::vector<Verdict> ComputeVerdicts(const std::vector<Row>& rows);

}  // namespace nokv::bench
