// The no-op FUSE filesystem: the ceiling probe of the FUSE rows (F1, F2).
//
// `nokv-bench noopfs MOUNTPOINT` mounts it with libfuse3's low-level API and
// serves it in the foreground until unmounted (or SIGTERM / SIGINT). It keeps
// just enough state for create, stat, open, read and unlink to behave like a
// filesystem: a table of names and attributes in memory. Reads return zeros,
// writes only move the size, and every request is answered at once, so what
// a workload measures on it is the kernel and libfuse round trip alone.
//
// It runs the session loop the way `nokv mount` does (multi-threaded loop,
// up to 16 workers, no cloned fds) and hands the kernel the same timeouts
// (1 s for entries and attributes, no negative entries), so the two differ
// only in the work behind each request.
#pragma once

#include <string>
#include <vector>

namespace nokv::bench {

inline constexpr const char* kNoopFsUsage = "usage: nokv-bench noopfs MOUNTPOINT\n";

// `argv`: the arguments after "noopfs". Returns the exit code.
int RunNoopFsCommand(const std::vector<std::string>& argv, const std::string& command);

}  // namespace nokv::bench
