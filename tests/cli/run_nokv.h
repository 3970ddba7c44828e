// Runs the `nokv` binary as a child process with a data directory, optional
// stdin bytes, and captured stdout, stderr and exit code.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "child_process.h"

namespace nokv::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  long peak_rss_kib = 0;  // the child's peak resident set (ru_maxrss)
};

// The exit code of a waited-for child, or 128 + the signal that ended it.
inline int ExitCode(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

// `n` pseudo-random bytes, the same for the same seed.
inline std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Writes `bytes` to the local file `path` (its directories made); returns it.
inline std::string WriteLocalFile(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// Runs `argv` (argv[0] is the program) with `input` on stdin. Stdin closes
// once `input` is written, or, with `close_when`, once it is written and
// `close_when(stdout so far)` holds (a server that stops at end of input).
inline RunResult RunProgram(const std::vector<std::string>& argv, const std::string& input = {},
                            const std::string& cwd = {},
                            const std::function<bool(const std::string&)>& close_when = {}) {
  // Close-on-exec: a child another thread forks meanwhile must not keep
  // this child's stdin open (it would never see end of input).
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    return {};
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(127);
    ExecProgram(argv);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  RunResult result;
  size_t written = 0;
  if (input.empty()) {
    close(in[1]);
    in[1] = -1;
  }
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    std::vector<pollfd> fds;
    if (out_open) fds.push_back({out[0], POLLIN, 0});
    if (err_open) fds.push_back({err[0], POLLIN, 0});
    if (in[1] >= 0 && written < input.size()) fds.push_back({in[1], POLLOUT, 0});
    poll(fds.data(), fds.size(), 1000);
    for (auto& p : fds) {
      if (p.fd == in[1] && (p.revents & (POLLOUT | POLLERR))) {
        ssize_t n = write(in[1], input.data() + written, input.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if (n < 0 || (written == input.size() && !close_when)) {
          close(in[1]);
          in[1] = -1;
        }
      } else if (p.revents & (POLLIN | POLLHUP)) {
        ssize_t n = read(p.fd, buf, sizeof(buf));
        if (n <= 0) {
          (p.fd == out[0] ? out_open : err_open) = false;
        } else {
          (p.fd == out[0] ? result.out : result.err).append(buf, static_cast<size_t>(n));
        }
      }
    }
    if (in[1] >= 0 && close_when && written == input.size() && close_when(result.out)) {
      close(in[1]);
      in[1] = -1;
    }
  }
  if (in[1] >= 0) close(in[1]);
  close(out[0]);
  close(err[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  result.peak_rss_kib = usage.ru_maxrss;
  result.exit_code = ExitCode(status);
  return result;
}

// Stdin for `nokv mcp`: initialize, initialized, then one tools/call of
// `tool` with `arguments` (a JSON object, as text) under id 2.
inline std::string McpSession(const std::string& tool, const std::string& arguments) {
  return R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":)"
         R"("2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})"
         "\n"
         R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
         "\n"
         R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":")" +
         tool + R"(","arguments":)" + arguments + "}}\n";
}

}  // namespace nokv::testing
