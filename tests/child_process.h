// Child processes for tests that drive real programs: Child (output to files;
// polled, killed as a process group) and Interactive (stdin and stdout on
// pipes, read line by line with deadlines), plus Slurp and FileDigest.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "common/sha256.h"

namespace nokv::testing {

// In a forked child: replaces the process with `argv` (argv[0] is the
// program; execvp looks it up on PATH when it has no slash).
[[noreturn]] inline void ExecProgram(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

// SHA-256 (hex) of a local file's bytes.
inline std::string FileDigest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Sha256 hasher;
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hasher.Update(std::string_view(buffer.data(), static_cast<size_t>(in.gcount())));
  }
  return DigestHex(hasher.Finish());
}

// The start of a command line that runs /usr/bin/python3 with the native
// module of this build. Under a sanitizer build the module needs the
// sanitizer's runtime preloaded (the interpreter is not instrumented), and
// the interpreter's own allocations are not ours to report as leaks.
inline std::vector<std::string> Python3Argv() {
#ifdef NOKV_PYTHON_PRELOAD
  return {"env", "LD_PRELOAD=" NOKV_PYTHON_PRELOAD, "ASAN_OPTIONS=detect_leaks=0",
          "/usr/bin/python3"};
#else
  return {"/usr/bin/python3"};
#endif
}

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A `nokv` child with stdin from /dev/null and stdout and stderr in files.
class Child {
 public:
  Child(std::vector<std::string> argv, const std::string& out_path, const std::string& err_path) {
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      int in = ::open("/dev/null", O_RDONLY);
      int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(in, 0);
      dup2(out, 1);
      dup2(err, 2);
      ExecProgram(argv);
    }
  }
  ~Child() {
    if (running()) {
      ::kill(-pid_, SIGKILL);
      Wait();
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !status_.has_value(); }
  // True once the child has exited (without blocking).
  bool Poll() {
    if (!running()) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
    status_ = status;
    return true;
  }
  void Wait() {
    if (!running()) return;
    int status = 0;
    waitpid(pid_, &status, 0);
    status_ = status;
  }
  // Signals the child's whole process group (a shell and what it runs).
  void Kill(int signal) {
    if (running()) ::kill(-pid_, signal);
  }
  // The exit code, or 128 + the signal that ended it.
  int exit_code() const {
    return WIFEXITED(*status_) ? WEXITSTATUS(*status_) : 128 + WTERMSIG(*status_);
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// A child with its stdin and stdout on pipes (stderr to a file), read line
// by line with a deadline.
class Interactive {
 public:
  Interactive(const std::vector<std::string>& argv, const std::string& stderr_path) {
    int in[2], out[2];
    // Close-on-exec: a later child must not hold this one's stdin open.
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(err, 2);
      for (int fd : {in[0], in[1], out[0], out[1], err}) close(fd);
      ExecProgram(argv);
    }
    close(in[0]);
    close(out[1]);
    in_ = in[1];
    out_ = out[0];
  }
  ~Interactive() {
    if (in_ >= 0) close(in_);
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }

  bool Send(const std::string& line) {
    std::string bytes = line + "\n";
    return ::write(in_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  }
  // The next line of stdout, or "" at end of file or after `timeout`.
  std::string ReadLine(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (size_t nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[4096];
      ssize_t n = ::read(out_, chunk, sizeof(chunk));
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }
  // Reads lines until one contains `needle`; false after `timeout`.
  bool WaitFor(const std::string& needle,
               std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (ReadLine(left).find(needle) != std::string::npos) return true;
    }
    return false;
  }
  void CloseStdin() {
    close(in_);
    in_ = -1;
  }
  // Sends `signal` (0: none, just wait) and returns the exit status.
  int Stop(int signal) {
    if (signal != 0) kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  bool reaped_ = false;
  std::string buffer_;
};

}  // namespace nokv::testing
