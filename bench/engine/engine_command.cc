// `nokv-bench engine [--quick] [--rows E1,E2,...] [--json out.jsonl] [--md out.md] [--dir DIR]`:
// the Holt engine rows (L0) side by side with SQLite and the ceiling probes.
#include "engine_command.h"

#include <iostream>

#include "bench/common/command.h"
#include "config.h"
#include "suite.h"
#include "verdicts.h"

namespace nokv::bench {

namespace {

struct EngineArgs {
  CommonArgs common;
  std::set<std::string> rows = {"E1", "E2", "E3", "E4", "E5"};
};

// Parses the arguments after "engine". Returns false (after printing why) on bad input.
bool ParseEngineArgs(const std::vector<std::string>& argv, EngineArgs* args) {
  for (size_t i = 0; i < argv.size(); ++i) {
    if (ParseCommonFlag(argv, &i, &args->common)) continue;
    if (argv[i] == "--rows" && i + 1 < argv.size()) {
      args->rows = SplitIds(argv[++i]);
      continue;
    }
    std::cerr << "nokv-bench: unknown or incomplete argument '" << argv[i] << "'\n" << kEngineUsage;
    return false;
  }
  for (const std::string& id : args->rows) {
    if (id.size() != 2 || id[0] != 'E' || id[1] < '1' || id[1] > '5') {
      std::cerr << "nokv-bench: unknown row '" << id << "'\n" << kEngineUsage;
      return false;
    }
  }
  return true;
}

}  // namespace

int RunEngineCommand(const std::vector<std::string>& argv, const std::string& command) {
  EngineArgs args;
  if (!ParseEngineArgs(argv, &args)) return 2;
  BenchConfig config = args.common.quick ? BenchConfig::Quick() : BenchConfig{};
  auto suite = [&](const std::string& scratch, std::vector<Row>* rows) {
    config.data_root = scratch;
    return RunEngineSuite(config, args.rows, rows);
  };
  return RunAndReport(args.common, command, "nokv-bench-", suite, ComputeVerdicts);
}

}  // namespace nokv::bench
