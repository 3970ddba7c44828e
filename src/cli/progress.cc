// The progress line of transfers (cli/transfer.h).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ostream>

#include "cli/transfer.h"

namespace nokv::cli {
namespace {

std::string Clock(double seconds) {
  auto s = static_cast<uint64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%llu:%02llu:%02llu", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60),
                  static_cast<unsigned long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%llu:%02llu", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  }
  return buf;
}

}  // namespace

ProgressLine::ProgressLine(Context& ctx, std::string label)
    : ctx_(ctx),
      label_(std::move(label)),
      start_(std::chrono::steady_clock::now()),
      enabled_(!ctx.quiet && ::isatty(STDERR_FILENO)) {
  if (const char* delay = std::getenv("NOKV_PROGRESS_DELAY"); delay != nullptr && *delay) {
    if (auto ns = ParseDuration(delay); ns.ok()) {
      delay_ = std::chrono::milliseconds(*ns / 1'000'000);
    }
  }
}

ProgressLine::~ProgressLine() {
  if (shown_) *ctx_.err << "\n" << std::flush;
}

void ProgressLine::Update(const fs::Progress& p) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  bool done = p.bytes_total > 0 && p.bytes_done >= p.bytes_total;
  if (now - start_ < delay_ && !(shown_ && done)) return;
  if (shown_ && !done && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  double secs = std::max(1e-3, std::chrono::duration<double>(now - start_).count());
  double rate = static_cast<double>(p.bytes_done) / secs;
  std::ostream& err = *ctx_.err;
  err << "\r" << label_ << ": " << HumanSize(p.bytes_done);
  if (p.bytes_total > 0) {
    err << " / " << HumanSize(p.bytes_total) << " (" << p.bytes_done * 100 / p.bytes_total << "%)";
  }
  if (p.files_total > 1) err << "  " << p.files_done << "/" << p.files_total << " files";
  err << "  " << HumanSize(static_cast<uint64_t>(rate)) << "/s";
  if (p.bytes_total > p.bytes_done && rate > 0) {
    err << "  ETA " << Clock(static_cast<double>(p.bytes_total - p.bytes_done) / rate);
  }
  err << "   " << std::flush;
  shown_ = true;
}

}  // namespace nokv::cli
