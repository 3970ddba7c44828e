// TempDir: a fresh directory under $TMPDIR for one test, removed afterwards.
#pragma once

#include <filesystem>
#include <random>
#include <string>

namespace nokv::testing {

class TempDir {
 public:
  // `base` defaults to $TMPDIR (or /tmp). Tests that only need fsync
  // semantics, not a real disk, may pass InMemoryBase().
  explicit TempDir(std::filesystem::path base = std::filesystem::temp_directory_path()) {
    std::random_device rd;
    path_ = (base / ("nokv-test-" + std::to_string(rd()) + std::to_string(rd()))).string();
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // /dev/shm when present: fdatasync there costs nothing.
  static std::filesystem::path InMemoryBase() {
    std::error_code ec;
    if (std::filesystem::is_directory("/dev/shm", ec)) return "/dev/shm";
    return std::filesystem::temp_directory_path();
  }

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace nokv::testing
