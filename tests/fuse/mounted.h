// Mounted: a NoKV filesystem mounted with FUSE inside the test process, its
// session loop on a background thread. Test threads use the mount with
// plain system calls; the destructor unmounts.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "fs/embedded.h"
#include "fuse/mount.h"
#include "test_dir.h"

namespace nokv::testing {

class Mounted {
 public:
  // Mounts `fs` at `mountpoint` (created if missing).
  Mounted(fs::Filesystem* fs, fuse::MountOptions options) {
    std::filesystem::create_directories(options.mountpoint);
    if (options.spool_dir == "/var/tmp") options.spool_dir = std::filesystem::temp_directory_path();
    auto mount = fuse::Mount::Start(fs, std::move(options));
    if (!mount.ok()) {
      ADD_FAILURE() << "mount: " << mount.status().ToString();
      return;
    }
    mount_ = std::move(mount).value();
    thread_ = std::thread([this] { run_status_ = mount_->Run(); });
  }
  ~Mounted() { (void)Unmount(); }
  Mounted(const Mounted&) = delete;
  Mounted& operator=(const Mounted&) = delete;

  bool ok() const { return mount_ != nullptr; }
  const std::string& path() const { return mount_->options().mountpoint; }
  std::string Sub(const std::string& rel) const { return path() + "/" + rel; }

  // Unmounts and waits for the session loop to end; its result.
  Status Unmount() {
    if (thread_.joinable()) {
      mount_->Stop();
      thread_.join();
    }
    return run_status_;
  }

 private:
  std::unique_ptr<fuse::Mount> mount_;
  std::thread thread_;
  Status run_status_;
};

// A data directory in a temporary directory, opened embedded, with small
// blocks so that modest files span several.
inline std::unique_ptr<fs::Filesystem> OpenTestFilesystem(const std::string& dir) {
  fs::EmbeddedOptions options;
  options.data_dir = dir;
  options.create_if_missing = true;
  options.durability = fs::Durability::kNone;
  options.block_size = 64 << 10;
  auto opened = fs::OpenEmbedded(options);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  return opened.ok() ? std::move(opened).value() : nullptr;
}

}  // namespace nokv::testing
