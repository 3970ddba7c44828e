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
// cmd_verbs.cc: the agent verbs (flags from their input schemas)
Command FindCommand();
Command GrepCommand();
Command CatalogCommand();
Command AggregateCommand();
Command ReadCommand();
// cmd_snapshot.cc
Command SnapshotCommand();
Command WatchCommand();
Command DiffCommand();
// cmd_maintenance.cc
Command IndexCommand();
Command GcCommand();
Command DoctorCommand();
Command FsckCommand();
// cmd_backup.cc
Command BackupCommand();
Command RestoreCommand();
// cmd_dump.cc
Command DumpCommand();
Command LoadCommand();
// cmd_mcp.cc
Command McpCommand();
// A usage error of `nokv mcp` found while parsing (a bad flag): told on
// stderr and, since an MCP client reads only the protocol, as the error of
// every request over stdio (docs/mcp.md, "Start-up errors"). Returns the
// exit code.
int McpUsageError(Context& ctx, std::string_view message);
// cmd_mount.cc
Command MountCommand();
// cmd_serve.cc
Command ServeCommand();
// cmd_help.cc
Command CompletionCommand();
Command ManCommand();

}  // namespace nokv::cli
