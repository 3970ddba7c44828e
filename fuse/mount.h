// `nokv mount`: the filesystem as a kernel mount through libfuse3's
// low-level API (docs/fuse.md).
//
// This layer only translates: FUSE requests become fs::Filesystem and
// fs::Metadata calls on inodes, Status becomes errno (fuse/errno.h). Inode
// numbers are NoKV inodes (the mount root is FUSE inode 1). Writes are
// close-to-open: an open file's new bytes wait in a local spool file and are
// published as one new generation on flush, fsync or the last close; readers
// read one pinned generation from open to close.
//
// Thread-safety: Run blocks in the session loop (several worker threads);
// Stop may be called from any thread, or from a signal-waiting thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "fs/filesystem.h"

namespace nokv::fuse {

struct MountOptions {
  std::string mountpoint;
  // The subtree mounted as the mount's root ("/" = everything).
  std::string root = "/";
  // A snapshot to mount (frozen, read-only); "" = the live namespace.
  std::string snapshot;
  // Refuse every change with EROFS.
  bool read_only = false;
  // How long the kernel may cache names and attributes. A change made
  // elsewhere (the CLI, another mount) also reaches a live mount through its
  // watch (follow_changes), which drops what the kernel cached at once.
  std::chrono::duration<double> entry_timeout{1.0};
  std::chrono::duration<double> attr_timeout{1.0};
  // Follow the watch stream and drop the kernel's caches of what changed.
  bool follow_changes = true;
  // libfuse -o options (allow_other, default_permissions, ...).
  std::vector<std::string> fuse_options;
  // Where files being written wait until they are published. Spool files
  // are unlinked at once: nothing is left behind by a crash.
  std::string spool_dir = "/var/tmp";
  // Worker threads of the session loop.
  unsigned max_threads = 16;
  // One line about something that went wrong outside a request (a failed
  // publish at the last close, the watch stream), for the log.
  std::function<void(std::string_view)> log;
};

class Mount {
 public:
  // Mounts `fs` (which must outlive the Mount) at options.mountpoint.
  static Result<std::unique_ptr<Mount>> Start(fs::Filesystem* fs, MountOptions options);
  ~Mount();  // unmounts if still mounted
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;

  // Serves requests until Stop() or an unmount (`fusermount3 -u`, `umount`).
  Status Run();
  // Ends Run: detaches the mount; requests in flight finish first.
  void Stop();

  const MountOptions& options() const;
  class Impl;

 private:
  explicit Mount(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nokv::fuse
