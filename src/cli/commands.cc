// The command table, in help order.
#include "cli/commands.h"

namespace nokv::cli {

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      InitCommand(),   LsCommand(),         StatCommand(), MkdirCommand(),   PutCommand(),
      CatCommand(),    GetCommand(),        RmCommand(),   MvCommand(),      LnCommand(),
      DuCommand(),     FindCommand(),       GrepCommand(), CatalogCommand(), AggregateCommand(),
      ReadCommand(),   SnapshotCommand(),   DiffCommand(), WatchCommand(),   IndexCommand(),
      GcCommand(),     DoctorCommand(),     FsckCommand(), BackupCommand(),  RestoreCommand(),
      DumpCommand(),   LoadCommand(),       McpCommand(),  MountCommand(),   ServeCommand(),
      ConfigCommand(), CompletionCommand(), ManCommand(),
  };
  return commands;
}

}  // namespace nokv::cli
