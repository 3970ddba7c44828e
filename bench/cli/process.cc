// fork/exec with rusage, drop_caches, and the random source file.
#include "process.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "bench/common/harness.h"

namespace nokv::bench {

namespace {

constexpr size_t kChunk = 1 << 20;

double Seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

std::string Describe(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

// In the child: stdout to `path`, then exec. Never returns.
[[noreturn]] void ExecChild(const std::vector<std::string>& argv, const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) _exit(126);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

}  // namespace

Result<ChildRun> RunChild(const std::vector<std::string>& argv, const std::string& stdout_path) {
  Clock::time_point start = Clock::now();
  pid_t pid = fork();
  if (pid < 0) return Status::FromErrno(errno, "fork");
  if (pid == 0) ExecChild(argv, stdout_path);
  int wstatus = 0;
  rusage usage{};
  if (wait4(pid, &wstatus, 0, &usage) < 0) return Status::FromErrno(errno, "wait4");
  ChildRun run;
  run.seconds = SecondsSince(start);
  run.user_cpu = Seconds(usage.ru_utime);
  run.sys_cpu = Seconds(usage.ru_stime);
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return Status::IOError(Describe(argv) + " failed (status " + std::to_string(wstatus) + ")");
  }
  return run;
}

void SyncAll() { sync(); }

Status DropPageCache() {
  sync();
  std::ofstream out("/proc/sys/vm/drop_caches");
  out << "3\n";
  out.close();
  if (!out) return Status::FromErrno(EACCES, "write /proc/sys/vm/drop_caches");
  return Status::Ok();
}

Status WriteRandomFile(const std::string& path, uint64_t bytes) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, "open " + path);
  std::vector<uint64_t> chunk(kChunk / sizeof(uint64_t));
  uint64_t rng = 0x243F6A8885A308D3ull;
  Status status;
  for (uint64_t done = 0; done < bytes && status.ok();) {
    for (uint64_t& word : chunk) word = NextRandom(&rng);
    size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, bytes - done));
    if (write(fd, chunk.data(), n) != static_cast<ssize_t>(n)) {
      status = Status::FromErrno(errno, "write " + path);
    }
    done += n;
  }
  if (status.ok() && fsync(fd) != 0) status = Status::FromErrno(errno, "fsync " + path);
  close(fd);
  return status;
}

Result<uint64_t> ReadWhole(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open " + path);
  std::vector<char> buf(kChunk);
  uint64_t total = 0;
  ssize_t n;
  while ((n = read(fd, buf.data(), buf.size())) > 0) total += static_cast<uint64_t>(n);
  int err = errno;
  close(fd);
  if (n < 0) return Status::FromErrno(err, "read " + path);
  return total;
}

}  // namespace nokv::bench
