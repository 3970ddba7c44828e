// What the campaigns of tests/campaign share: child processes of the nokv
// binary (and shells, Python) that can be polled and killed as a group, and
// file digests.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "common/sha256.h"

namespace nokv::testing {

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
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
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

}  // namespace nokv::testing
