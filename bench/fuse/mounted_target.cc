// Mounting and unmounting the filesystems of the FUSE rows, and the signal
// cleanup that keeps a killed run from leaving mounts behind.
#include "mounted_target.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

extern char** environ;

namespace nokv::bench {
namespace {

using std::chrono::steady_clock;

constexpr auto kMountDeadline = std::chrono::seconds(60);
constexpr auto kExitDeadline = std::chrono::seconds(60);
constexpr auto kKillDeadline = std::chrono::seconds(10);
constexpr auto kPoll = std::chrono::milliseconds(10);
constexpr int kBusyRetries = 50;  // 100 ms apart

// What the signal handler must undo. A process-wide table because a signal
// handler can reach nothing else; written only outside the handler, with
// `used` published last.
struct CleanupSlot {
  std::atomic<bool> used{false};
  std::atomic<pid_t> pid{-1};
  char path[4096] = {};
};
constexpr int kSlots = 16;
CleanupSlot g_cleanup[kSlots];

void OnFatalSignal(int sig) {
  for (CleanupSlot& slot : g_cleanup) {
    if (!slot.used.load()) continue;
    ::umount2(slot.path, MNT_DETACH);
    pid_t pid = slot.pid.load();
    if (pid > 0) ::kill(pid, SIGTERM);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

int RegisterCleanup(const std::string& path, pid_t pid) {
  static std::once_flag installed;
  std::call_once(installed, [] {
    struct sigaction action = {};
    action.sa_handler = OnFatalSignal;
    sigemptyset(&action.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &action, nullptr);
  });
  if (path.size() >= sizeof(CleanupSlot::path)) return -1;
  for (int i = 0; i < kSlots; ++i) {
    CleanupSlot& slot = g_cleanup[i];
    if (slot.used.load()) continue;
    std::memcpy(slot.path, path.c_str(), path.size() + 1);
    slot.pid.store(pid);
    slot.used.store(true);
    return i;
  }
  return -1;
}

void UnregisterCleanup(int slot) {
  if (slot >= 0) g_cleanup[slot].used.store(false);
}

// Is `path` a mount point now? (/proc/self/mountinfo: the fifth field.)
bool IsMountPoint(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, mount_point;
    fields >> id >> parent >> dev >> root >> mount_point;
    if (mount_point == path) return true;
  }
  return false;
}

// Waits up to `deadline` for `pid` to exit; its wait status, or nullopt.
std::optional<int> WaitExit(pid_t pid, steady_clock::duration deadline) {
  auto until = steady_clock::now() + deadline;
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno == ECHILD)) return status;
    if (steady_clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(kPoll);
  }
}

// Forks and execs `spec.argv` with stdout and stderr to `log_path`, in its
// own process group (a terminal's Ctrl-C reaches the benchmark, which then
// unmounts in order). Everything the child needs is built before the fork.
Result<pid_t> Spawn(const MountSpec& spec, const std::string& log_path) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const auto& [key, value] : spec.env) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv = spec.argv;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) return Status::FromErrno(errno, "open " + log_path);
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(null, STDIN_FILENO);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    ::execvpe(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  int fork_errno = errno;
  ::close(log);
  if (null >= 0) ::close(null);
  if (pid < 0) return Status::FromErrno(fork_errno, "fork");
  return pid;
}

}  // namespace

std::string LogTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
  return text;
}

Result<std::unique_ptr<MountedTarget>> MountedTarget::Mount(const MountSpec& spec,
                                                            const std::string& mountpoint,
                                                            const std::string& log_path) {
  if (spec.argv.empty()) {
    if (::mount("tmpfs", mountpoint.c_str(), "tmpfs", 0, "mode=0755") != 0) {
      return Status::FromErrno(errno, "mount tmpfs on " + mountpoint);
    }
    int slot = RegisterCleanup(mountpoint, -1);
    return std::unique_ptr<MountedTarget>(new MountedTarget(mountpoint, log_path, -1, slot));
  }
  NOKV_ASSIGN_OR_RETURN(pid_t pid, Spawn(spec, log_path));
  int slot = RegisterCleanup(mountpoint, pid);
  std::unique_ptr<MountedTarget> target(new MountedTarget(mountpoint, log_path, pid, slot));
  auto until = steady_clock::now() + kMountDeadline;
  while (!IsMountPoint(mountpoint)) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      target->pid_ = -1;
      target->mounted_ = false;
      UnregisterCleanup(slot);
      target->slot_ = -1;
      return Status::IOError(spec.argv[0] + " exited (status " + std::to_string(status) +
                             ") before mounting " + mountpoint + ": " + LogTail(log_path));
    }
    if (steady_clock::now() >= until) {
      return Status::TimedOut(spec.argv[0] + " did not mount " + mountpoint +
                              " within 60 s: " + LogTail(log_path));  // the destructor stops it
    }
    std::this_thread::sleep_for(kPoll);
  }
  return target;
}

MountedTarget::~MountedTarget() {
  if (Status s = Unmount(); !s.ok()) std::cerr << "nokv-bench: " << s.ToString() << "\n";
}

Status MountedTarget::Unmount() {
  if (!mounted_ && pid_ < 0) return Status::Ok();
  std::string forced;
  if (mounted_) {
    mounted_ = false;
    bool gone = false;
    for (int i = 0; i < kBusyRetries && !gone; ++i) {
      if (::umount2(mountpoint_.c_str(), 0) == 0 || errno == EINVAL || errno == ENOENT) {
        gone = true;
      } else if (errno == EBUSY) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      } else {
        break;
      }
    }
    if (!gone) {
      ::umount2(mountpoint_.c_str(), MNT_DETACH);
      forced = "busy, detached";
    }
  }
  if (pid_ > 0) {
    std::optional<int> status = WaitExit(pid_, kExitDeadline);
    if (!status) {
      ::kill(pid_, SIGTERM);
      status = WaitExit(pid_, kKillDeadline);
      forced += forced.empty() ? "" : "; ";
      forced += "server did not exit after the unmount, sent SIGTERM";
    }
    if (!status) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      forced += ", then SIGKILL";
    }
    pid_ = -1;
  }
  UnregisterCleanup(slot_);
  slot_ = -1;
  if (forced.empty()) return Status::Ok();
  return Status::IOError("unmounting " + mountpoint_ + ": " + forced + " (log " + log_path_ + ")");
}

}  // namespace nokv::bench
