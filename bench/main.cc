// nokv-bench: benchmark entry point. Subcommands:
//   nokv-bench engine ...  Holt (L0) side by side with SQLite, plus ceiling probes
//   nokv-bench meta ...    MetaService (L0-meta) mdtest shapes, big directories, footprint
//   nokv-bench cli ...     `nokv put` / `nokv cat` of a large file against cp / cat
//   nokv-bench rpc ...     the metadata server over RPC (M1-M3) and remote bodies (D1, D2)
//   nokv-bench fuse ...    mdtest and `juicefs bench` clones through FUSE mounts (F1, F2)
//   nokv-bench noopfs MP   the no-op FUSE filesystem the fuse suite mounts as its ceiling
//   nokv-bench retention   what one snapshot of a subtree keeps while the rest is overwritten
//   nokv-bench backup      metadata backup and restore against sqlite3 .backup
// Each prints a Markdown report and optionally writes JSON lines / Markdown files.
#include <iostream>
#include <string>
#include <vector>

#include "bench/cli/cli_command.h"
#include "bench/engine/engine_command.h"
#include "bench/fuse/fuse_command.h"
#include "bench/fuse/noop_fs.h"
#include "bench/meta/backup_bench.h"
#include "bench/meta/meta_command.h"
#include "bench/meta/retention.h"
#include "bench/rpc/rpc_command.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  using Runner = int (*)(const std::vector<std::string>&, const std::string&);
  Runner run = nullptr;
  if (!args.empty() && args[0] == "engine") run = nokv::bench::RunEngineCommand;
  if (!args.empty() && args[0] == "meta") run = nokv::bench::RunMetaCommand;
  if (!args.empty() && args[0] == "cli") run = nokv::bench::RunCliCommand;
  if (!args.empty() && args[0] == "retention") run = nokv::bench::RunRetentionCommand;
  if (!args.empty() && args[0] == "backup") run = nokv::bench::RunBackupCommand;
  if (!args.empty() && args[0] == "rpc") run = nokv::bench::RunRpcCommand;
  if (!args.empty() && args[0] == "fuse") run = nokv::bench::RunFuseCommand;
  if (!args.empty() && args[0] == "noopfs") run = nokv::bench::RunNoopFsCommand;
  if (run == nullptr) {
    std::cerr << nokv::bench::kEngineUsage << nokv::bench::kMetaUsage << nokv::bench::kCliUsage
              << nokv::bench::kRetentionUsage << nokv::bench::kBackupUsage << nokv::bench::kRpcUsage
              << nokv::bench::kFuseUsage;
    return 2;
  }
  std::string command = "nokv-bench";
  for (const std::string& a : args) command += " " + a;
  return run({args.begin() + 1, args.end()}, command);
}
