// TempDir: a fresh directory under $TMPDIR for one test, removed afterwards.
#pragma once

#include <filesystem>
#include <random>
#include <string>

namespace nokv::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    auto base = std::filesystem::temp_directory_path();
    path_ = (base / ("nokv-test-" + std::to_string(rd()) + std::to_string(rd()))).string();
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace nokv::testing
