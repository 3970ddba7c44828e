// Ceiling probes: memory bandwidth (memcpy) and durable-write latency (fdatasync).
#include "probes.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace nokv::bench {

namespace {

constexpr size_t kMemcpyBytes = 64ull << 20;
constexpr size_t kOverwriteRegion = 1ull << 20;

// An fd closed on destruction.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Writes and syncs the overwrite region once, so later writes allocate nothing.
Status Prefill(int fd, const std::string& path) {
  std::string zeros(kOverwriteRegion, '\0');
  if (pwrite(fd, zeros.data(), zeros.size(), 0) != static_cast<ssize_t>(zeros.size())) {
    return Status::FromErrno(errno, "prefill " + path);
  }
  if (fsync(fd) != 0) return Status::FromErrno(errno, "fsync " + path);
  return Status::Ok();
}

}  // namespace

Result<Measurement> ProbeMemcpy(std::chrono::milliseconds window, int repeats) {
  std::vector<char> src(kMemcpyBytes, 'x'), dst(kMemcpyBytes, 'y');
  return Repeat(repeats, [&](int) {
    return RunWindow(1, window, [&](int, uint64_t* ops) {
      std::memcpy(dst.data(), src.data(), kMemcpyBytes);
      asm volatile("" : : "r"(dst.data()) : "memory");  // the copy is observable
      *ops += kMemcpyBytes;
      return Status::Ok();
    });
  });
}

Result<Measurement> ProbeFdatasync(const std::string& dir, size_t bytes, SyncPattern pattern,
                                   std::chrono::milliseconds window, int repeats) {
  std::string record(bytes, 'w');
  return Repeat(repeats, [&](int repeat) -> Result<Trial> {
    std::string path = dir + "/fdatasync-probe-" + std::to_string(repeat);
    Fd fd(open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644));
    if (fd.get() < 0) return Status::FromErrno(errno, "open " + path);
    if (pattern == SyncPattern::kOverwrite) NOKV_RETURN_IF_ERROR(Prefill(fd.get(), path));
    uint64_t offset = 0;
    auto trial = RunWindow(1, window, [&](int, uint64_t* ops) {
      if (pattern == SyncPattern::kOverwrite && offset + bytes > kOverwriteRegion) offset = 0;
      if (pwrite(fd.get(), record.data(), bytes, static_cast<off_t>(offset)) !=
          static_cast<ssize_t>(bytes)) {
        return Status::FromErrno(errno, "write " + path);
      }
      offset += bytes;
      if (fdatasync(fd.get()) != 0) return Status::FromErrno(errno, "fdatasync " + path);
      ++*ops;
      return Status::Ok();
    });
    unlink(path.c_str());
    return trial;
  });
}

}  // namespace nokv::bench
