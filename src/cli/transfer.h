// What the byte commands share (cmd_io.cc, sync.cc): the progress line of a
// transfer and the download of one file.
#pragma once

#include <chrono>
#include <string>

#include "cli/cli.h"

namespace nokv::cli {

// A one-line progress report on stderr while a transfer runs: bytes done and
// total, files done and total (trees), rate and time left. Only when stderr
// is a terminal and not with -q; first shown after $NOKV_PROGRESS_DELAY
// (a duration, default 2s), then at most five times a second. Not thread-safe.
class ProgressLine {
 public:
  ProgressLine(Context& ctx, std::string label);
  ~ProgressLine();  // ends the line when one was shown
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void Update(const fs::Progress& progress);
  void Update(uint64_t done, uint64_t total) { Update(fs::Progress{done, total, 0, 0}); }

 private:
  Context& ctx_;
  std::string label_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  std::chrono::milliseconds delay_{2000};
  bool enabled_;
  bool shown_ = false;
};

// Downloads the file `src` to the local `dst` through DST.nokv-partial
// (renamed over DST when whole) and appends {"path", "local", "size_bytes"}
// to `fetched`. Returns the exit code (failures already reported).
int GetFile(Context& ctx, fs::Filesystem& fs, const std::string& src, const std::string& dst,
            const fs::ReadAt& at, nlohmann::json* fetched);

}  // namespace nokv::cli
