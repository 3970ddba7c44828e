// Constructors of the `nokv` commands, one per file under src/cli/cmd_*.cc.
#pragma once

#include "cli/cli.h"

namespace nokv::cli {

// settings.cc
Command InitCommand();
Command ConfigCommand();
// cmd_namespace.cc
Command LsCommand();
Command StatCommand();
Command MkdirCommand();
Command RmCommand();
Command MvCommand();
Command LnCommand();
Command DuCommand();
// cmd_io.cc
Command PutCommand();
Command CatCommand();
Command GetCommand();
// cmd_snapshot.cc
Command SnapshotCommand();
Command WatchCommand();
// cmd_maintenance.cc
Command IndexCommand();
Command GcCommand();
Command DoctorCommand();
// cmd_mcp.cc
Command McpCommand();
// cmd_mount.cc
Command MountCommand();
// cmd_serve.cc
Command ServeCommand();
// cmd_help.cc
Command CompletionCommand();
Command ManCommand();

}  // namespace nokv::cli
