// The rpc suite: which rows run in which order, and the verdicts against the
// targets of shared/design/BENCHMARKS.md (M1, M2, M3, D1, D2 over RPC).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "bench/common/report.h"
#include "rpc_config.h"

namespace nokv::bench {

// Runs the rows in `ids` (M1, M2, M3, D) with scratch data under
// config.data_root: one served data directory at config.durability (and one
// at sync for the M2 create context rows), and for M2 a private Redis.
Status RunRpcSuite(const RpcBenchConfig& config, const std::set<std::string>& ids,
                   std::vector<Row>* rows);

// M1 batch 128 >= 200K creates/s; M2 every NoKV row >= 0.7x the ceiling of
// its transport and client count and ahead of its Redis counterpart; M3 the
// 65k listing <= 20 ms; D1 >= 1 GB/s; D2 warm >= 20K reads/s.
std::vector<Verdict> ComputeRpcVerdicts(const std::vector<Row>& rows);

}  // namespace nokv::bench
