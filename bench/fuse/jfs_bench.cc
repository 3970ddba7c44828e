// The `juicefs bench` clone (see jfs_bench.h).
#include "jfs_bench.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include "bench/cli/process.h"
#include "bench/common/harness.h"

namespace nokv::bench {
namespace {

constexpr size_t kStampBytes = 16;

Status Fail(const char* call, const std::string& path) {
  return Status::FromErrno(errno, std::string(call) + " " + path);
}

// A buffer of pseudo-random bytes; Stamp() makes each use of it distinct.
class Payload {
 public:
  Payload(size_t size, uint64_t nonce) : bytes_(size), nonce_(nonce) {
    uint64_t rng = 0x9E3779B97F4A7C15ull ^ nonce;
    for (size_t i = 0; i + 8 <= bytes_.size(); i += 8) {
      uint64_t word = NextRandom(&rng);
      std::memcpy(bytes_.data() + i, &word, 8);
    }
  }
  // The buffer with (nonce, index) written at its start.
  const char* Stamp(uint64_t index) {
    std::memcpy(bytes_.data(), &nonce_, 8);
    std::memcpy(bytes_.data() + 8, &index, 8);
    return bytes_.data();
  }

 private:
  std::vector<char> bytes_;
  uint64_t nonce_;
};

Status WriteAll(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Fail("write", path);
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

// Creates `path` and writes `size` bytes in `block`-sized writes; stamps
// start at *index and advance.
Status WriteFile(const std::string& path, uint64_t size, uint64_t block, Payload* payload,
                 uint64_t* index) {
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return Fail("create", path);
  Status s;
  for (uint64_t done = 0; done < size && s.ok();) {
    auto n = static_cast<size_t>(std::min(block, size - done));
    s = WriteAll(fd, payload->Stamp((*index)++), n, path);
    done += n;
  }
  if (::close(fd) != 0 && s.ok()) s = Fail("close", path);
  return s;
}

// Reads `path` to its end in `block`-sized reads; fails unless it holds `size` bytes.
Status ReadFile(const std::string& path, uint64_t size, std::vector<char>* buf) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail("open", path);
  uint64_t total = 0;
  ssize_t n = 0;
  while ((n = ::read(fd, buf->data(), buf->size())) > 0) total += static_cast<uint64_t>(n);
  Status s = n < 0 ? Fail("read", path) : Status::Ok();
  ::close(fd);
  if (s.ok() && total != size) {
    s = Status::Corruption(path + " read back " + std::to_string(total) + " bytes, wrote " +
                           std::to_string(size));
  }
  return s;
}

}  // namespace

const char* JfsPhaseName(JfsPhase phase) {
  switch (phase) {
    case JfsPhase::kWriteBig:
      return "Write big file";
    case JfsPhase::kReadBig:
      return "Read big file";
    case JfsPhase::kWriteSmall:
      return "Write small file";
    case JfsPhase::kReadSmall:
      return "Read small file";
    case JfsPhase::kStatSmall:
      return "Stat file";
  }
  return "?";
}

bool JfsPhaseIsBytes(JfsPhase phase) {
  return phase == JfsPhase::kWriteBig || phase == JfsPhase::kReadBig;
}

Result<std::vector<JfsPhaseTiming>> RunJfsBench(const std::string& dir, const JfsOptions& o) {
  const JfsShape& shape = o.shape;
  Payload payload(static_cast<size_t>(std::max(shape.block, shape.small)), o.nonce);
  std::vector<char> read_buf(static_cast<size_t>(shape.block));
  std::string big = dir + "/" + kJfsBigName;
  std::vector<std::string> small;
  for (int i = 0; i < shape.small_count; ++i) small.push_back(dir + "/small." + std::to_string(i));
  uint64_t index = 0;
  std::vector<JfsPhaseTiming> out;
  // Drops the caches, then times `body` as `phase`.
  auto phase = [&](JfsPhase p, uint64_t units, const std::function<Status()>& body) -> Status {
    if (o.drop_caches) NOKV_RETURN_IF_ERROR(DropPageCache());
    Clock::time_point start = Clock::now();
    NOKV_RETURN_IF_ERROR(body());
    out.push_back({p, units, SecondsSince(start)});
    return Status::Ok();
  };
  auto each_small = [&](const std::function<Status(const std::string&)>& op) {
    return [&, op] {
      for (const std::string& path : small) NOKV_RETURN_IF_ERROR(op(path));
      return Status::Ok();
    };
  };
  NOKV_RETURN_IF_ERROR(phase(JfsPhase::kWriteBig, shape.big, [&] {
    return WriteFile(big, shape.big, shape.block, &payload, &index);
  }));
  NOKV_RETURN_IF_ERROR(
      phase(JfsPhase::kReadBig, shape.big, [&] { return ReadFile(big, shape.big, &read_buf); }));
  NOKV_RETURN_IF_ERROR(phase(JfsPhase::kWriteSmall, small.size(), each_small([&](const auto& p) {
                               return WriteFile(p, shape.small, shape.block, &payload, &index);
                             })));
  NOKV_RETURN_IF_ERROR(phase(JfsPhase::kReadSmall, small.size(), each_small([&](const auto& p) {
                               return ReadFile(p, shape.small, &read_buf);
                             })));
  NOKV_RETURN_IF_ERROR(phase(JfsPhase::kStatSmall, small.size(), each_small([](const auto& p) {
                               struct stat st;
                               return ::stat(p.c_str(), &st) == 0 ? Status::Ok() : Fail("stat", p);
                             })));
  for (const std::string& path : small) {
    if (::unlink(path.c_str()) != 0) return Fail("unlink", path);
  }
  if (!o.keep_big && ::unlink(big.c_str()) != 0) return Fail("unlink", big);
  return out;
}

}  // namespace nokv::bench
