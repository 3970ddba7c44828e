// nokv-bench: benchmark entry point. Subcommands:
//   nokv-bench engine [--quick] [--rows E1,E2,...] [--json out.jsonl] [--md out.md] [--dir DIR]
// runs the Holt engine rows (L0) side by side with SQLite and the ceiling
// probes, prints the Markdown report and optionally writes JSON lines / Markdown files.
#include <cstdlib>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config.h"
#include "harness.h"
#include "report.h"
#include "suite.h"
#include "verdicts.h"

namespace nokv::bench {
namespace {

constexpr const char* kUsage =
    "usage: nokv-bench engine [--quick] [--rows E1,E2,E3,E4,E5] [--json out.jsonl]\n"
    "                         [--md out.md] [--dir scratch-parent]\n";

struct Args {
  bool quick = false;
  std::set<std::string> rows = {"E1", "E2", "E3", "E4", "E5"};
  std::string json_path;
  std::string md_path;
  std::string dir;
};

std::set<std::string> SplitIds(const std::string& list) {
  std::set<std::string> ids;
  std::stringstream in(list);
  for (std::string id; std::getline(in, id, ',');) {
    if (!id.empty()) ids.insert(id);
  }
  return ids;
}

// Parses the arguments after "engine". Returns false (after printing why) on bad input.
bool ParseEngineArgs(const std::vector<std::string>& argv, Args* args) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& flag = argv[i];
    bool has_value = i + 1 < argv.size();
    if (flag == "--quick") {
      args->quick = true;
    } else if (flag == "--rows" && has_value) {
      args->rows = SplitIds(argv[++i]);
    } else if (flag == "--json" && has_value) {
      args->json_path = argv[++i];
    } else if (flag == "--md" && has_value) {
      args->md_path = argv[++i];
    } else if (flag == "--dir" && has_value) {
      args->dir = argv[++i];
    } else {
      std::cerr << "nokv-bench: unknown or incomplete argument '" << flag << "'\n" << kUsage;
      return false;
    }
  }
  for (const std::string& id : args->rows) {
    if (id.size() != 2 || id[0] != 'E' || id[1] < '1' || id[1] > '5') {
      std::cerr << "nokv-bench: unknown row '" << id << "'\n" << kUsage;
      return false;
    }
  }
  return true;
}

std::string DefaultScratchParent() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

int RunEngine(const Args& args, const std::string& command) {
  BenchConfig config = args.quick ? BenchConfig::Quick() : BenchConfig{};
  auto scratch =
      TempDir::Create(args.dir.empty() ? DefaultScratchParent() : args.dir, "nokv-bench-");
  if (!scratch.ok()) {
    std::cerr << "nokv-bench: " << scratch.status().ToString() << "\n";
    return 1;
  }
  config.data_root = scratch->path();
  MachineFacts machine = CollectMachineFacts(config.data_root);
  std::vector<Row> rows;
  Status run = RunEngineSuite(config, args.rows, &rows);
  std::string md = RenderMarkdown(machine, command, ComputeVerdicts(rows), rows);
  std::cout << md;
  Status out;
  if (!args.json_path.empty()) out = WriteJsonLines(args.json_path, rows);
  if (out.ok() && !args.md_path.empty()) out = WriteFile(args.md_path, md);
  if (!out.ok()) std::cerr << "nokv-bench: " << out.ToString() << "\n";
  return run.ok() && out.ok() ? 0 : 1;
}

}  // namespace
}  // namespace nokv::bench

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] != "engine") {
    std::cerr << nokv::bench::kUsage;
    return 2;
  }
  std::string command = "nokv-bench";
  for (const std::string& a : args) command += " " + a;
  nokv::bench::Args parsed;
  if (!nokv::bench::ParseEngineArgs({args.begin() + 1, args.end()}, &parsed)) return 2;
  return nokv::bench::RunEngine(parsed, command);
}
