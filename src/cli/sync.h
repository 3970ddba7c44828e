// Tree transfers with sync semantics (`put DIR DST`, `get SRC DIR`): files
// whose content is unchanged are skipped (size and mtime as the fast check,
// then the SHA-256 digest), `--delete` removes what the source no longer has,
// `--dry-run` prints the plan, `--include`/`--exclude` select by glob,
// `--symlinks skip|follow|keep`, empty directories are made, and source mtimes
// are kept (`--no-mtime` stamps now). Every changed file of a put is published
// in one commit (docs/cli.md "Syncing trees").
#pragma once

#include <string>

#include "cli/cli.h"

namespace nokv::cli {

// The flags of a tree transfer (shared by put and get).
std::vector<Flag> SyncFlags();

// `put LOCAL_DIR REMOTE_DIR`: REMOTE_DIR becomes a copy of LOCAL_DIR's tree.
int PutTreeSync(Context& ctx, fs::Filesystem& fs, const Args& args, const std::string& local,
                const std::string& remote, const fs::WriteOptions& options);
// `get REMOTE_DIR LOCAL_DIR`: LOCAL_DIR becomes a copy of REMOTE_DIR's tree.
int GetTreeSync(Context& ctx, fs::Filesystem& fs, const Args& args, const std::string& remote,
                const std::string& local);

// True when a path argument has a glob character (* ? [) and so names the
// remote paths matching it (`ls`, `rm`, `get`: /runs/*/metrics.jsonl).
bool HasGlob(std::string_view path);
// The remote paths matching `pattern` (fnmatch per component; a leading dot
// is matched only by a pattern that starts with one), sorted. NotFound when
// none matches.
Result<std::vector<std::string>> ExpandGlob(fs::Filesystem& fs, const std::string& pattern,
                                            const fs::ReadAt& at);
// The directory above the first component of `pattern` with a glob.
std::string GlobBase(const std::string& pattern);

}  // namespace nokv::cli
