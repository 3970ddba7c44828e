// `nokv-bench rpc`: flags, then the rpc suite with its report.
#include "rpc_command.h"

#include <iostream>

#include "bench/common/command.h"
#include "rpc_suite.h"

namespace nokv::bench {

int RunRpcCommand(const std::vector<std::string>& argv, const std::string& command) {
  CommonArgs common;
  std::set<std::string> ids = {"M1", "M2", "M3", "D"};
  for (size_t i = 0; i < argv.size(); ++i) {
    if (ParseCommonFlag(argv, &i, &common)) continue;
    if (argv[i] == "--rows" && i + 1 < argv.size()) {
      ids = SplitIds(argv[++i]);
      continue;
    }
    std::cerr << "nokv-bench: unknown or incomplete argument '" << argv[i] << "'\n" << kRpcUsage;
    return 2;
  }
  for (const std::string& id : ids) {
    if (id != "M1" && id != "M2" && id != "M3" && id != "D") {
      std::cerr << "nokv-bench: unknown row '" << id << "'\n" << kRpcUsage;
      return 2;
    }
  }
  RpcBenchConfig config = common.quick ? RpcBenchConfig::Quick() : RpcBenchConfig{};
  auto suite = [&](const std::string& scratch, std::vector<Row>* rows) {
    config.data_root = scratch;
    return RunRpcSuite(config, ids, rows);
  };
  ReportLabels labels;
  labels.nokv_column = "NoKV (over RPC)";
  labels.peer_column = "peer (ceiling / Redis)";
  labels.rows_note =
      "value: median over repeats (M3 rows: over every lookup or listing); spread: min .. max "
      "of the same; latency: p50 / p95 over every call, request or read.";
  return RunAndReport(common, command, "nokv-bench-rpc-", suite, ComputeRpcVerdicts, labels);
}

}  // namespace nokv::bench
