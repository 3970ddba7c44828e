// A long-running child process (`nokv serve`, `nokv mcp --http`) for tests:
// started, then ready once a marker line appeared on its stderr (or stdout),
// stopped by a signal with its exit status and peak resident set. After the
// marker a thread keeps draining that stream, so a chatty child never blocks
// on a full pipe; what it wrote is output() once stopped.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "run_nokv.h"

namespace nokv::testing {

class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& marker,
               bool watch_stdout = false) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return;  // not inherited by other threads' children
    pid_ = fork();
    if (pid_ == 0) {
      dup2(pipe_fds[1], watch_stdout ? 1 : 2);
      close(pipe_fds[0]);
      close(pipe_fds[1]);
      ExecProgram(argv);
    }
    close(pipe_fds[1]);
    err_ = pipe_fds[0];
    // Reads until the marker (or end of file on failure): no sleeping.
    char c;
    while (read(err_, &c, 1) == 1) {
      log_ += c;
      if (c == '\n' && log_.find(marker) != std::string::npos) {
        ready_ = true;
        break;
      }
    }
    drain_ = std::thread([this] {
      char buf[4096];
      ssize_t n;
      while ((n = read(err_, buf, sizeof(buf))) > 0) rest_.append(buf, static_cast<size_t>(n));
    });
  }
  ~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (drain_.joinable()) drain_.join();
    if (err_ >= 0) close(err_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool ready() const { return ready_; }
  pid_t pid() const { return pid_; }
  const std::string& log() const { return log_; }
  // The TCP port of the last "HOST:PORT" the marker line ended with.
  int Port() const { return std::stoi(log_.substr(log_.rfind(':') + 1)); }
  // Everything the child wrote to the watched stream; complete once stopped.
  std::string output() const { return log_ + rest_; }
  // Sends `signal` and returns the exit status (exit code, or 128 + signal).
  int Stop(int signal) {
    kill(pid_, signal);
    if (drain_.joinable()) drain_.join();
    reaped_ = true;
    rusage usage{};
    int status = 0;
    wait4(pid_, &status, 0, &usage);
    peak_rss_kib_ = usage.ru_maxrss;
    return ExitCode(status);
  }
  // The child's peak resident set in KiB, known once stopped.
  long peak_rss_kib() const { return peak_rss_kib_; }

 private:
  long peak_rss_kib_ = 0;
  pid_t pid_ = -1;
  int err_ = -1;
  bool ready_ = false;
  bool reaped_ = false;
  std::string log_;   // up to and including the marker line
  std::string rest_;  // after it; written only by drain_
  std::thread drain_;
};

}  // namespace nokv::testing
