// A filesystem mounted for the FUSE rows: a tmpfs mounted by this process,
// or a FUSE filesystem served by a child process (`nokv mount`, s3fs,
// rclone mount, the no-op probe) run in the foreground.
//
// Mount() returns once the mount point shows the new filesystem (or fails
// with the child's log tail when it exits first). Unmount() unmounts, waits
// for the child to end and escalates (SIGTERM, SIGKILL, lazy unmount) when
// it does not; the destructor does it too, and a SIGINT / SIGTERM / SIGHUP
// of the benchmark lazily unmounts every live mount and stops its child
// before the process dies, so no mount outlives a run.
//
// Thread-safety: one thread uses an instance. The signal cleanup is process-wide.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace nokv::bench {

struct MountSpec {
  // The serving process's argv; its last argument is usually the mount
  // point. Empty for tmpfs.
  std::vector<std::string> argv;
  // Extra environment of the serving process (credentials).
  std::vector<std::pair<std::string, std::string>> env;
};

class MountedTarget {
 public:
  // Mounts at `mountpoint` (an existing empty directory); the child's stdout
  // and stderr go to `log_path`.
  static Result<std::unique_ptr<MountedTarget>> Mount(const MountSpec& spec,
                                                      const std::string& mountpoint,
                                                      const std::string& log_path);
  ~MountedTarget();
  MountedTarget(const MountedTarget&) = delete;
  MountedTarget& operator=(const MountedTarget&) = delete;

  // Unmounts and waits for the serving process to end. An error says what
  // had to be forced; the mount is gone either way.
  Status Unmount();
  const std::string& path() const { return mountpoint_; }

 private:
  MountedTarget(std::string mountpoint, std::string log_path, pid_t pid, int slot)
      : mountpoint_(std::move(mountpoint)),
        log_path_(std::move(log_path)),
        pid_(pid),
        slot_(slot) {}

  std::string mountpoint_;
  std::string log_path_;
  pid_t pid_ = -1;  // the serving child; -1 for tmpfs
  int slot_ = -1;   // the signal cleanup's record of this mount
  bool mounted_ = true;
};

// The last `max_bytes` of a log file (for error messages).
std::string LogTail(const std::string& path, size_t max_bytes = 600);

}  // namespace nokv::bench
