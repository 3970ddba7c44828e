// `nokv mount`: the filesystem as a FUSE mount until unmounted or signalled.
// This file only translates flags; the mount lives in fuse/ (docs/fuse.md).
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "fuse/mount.h"

namespace nokv::cli {
namespace {

constexpr char kDescription[] =
    "Mounts the namespace (of --data-dir, or of --server ADDR) at MOUNTPOINT with\n"
    "FUSE and serves it until `fusermount3 -u MOUNTPOINT`, `umount`, SIGTERM or\n"
    "SIGINT. Files are published when closed (or fsynced): other processes see a\n"
    "file's new bytes after it is closed (docs/fuse.md). While it runs it serves\n"
    "the data directory to other nokv processes, like `nokv serve`. Changes made\n"
    "elsewhere reach the mount at once whatever the timeouts say.";

Result<double> Seconds(const Args& args, const std::string& flag, double fallback) {
  auto value = args.Get(flag);
  if (!value) return fallback;
  char* end = nullptr;
  double seconds = std::strtod(value->c_str(), &end);
  if (value->empty() || *end != '\0' || !(seconds >= 0) || seconds > 86400) {
    return Status::InvalidArgument(flag + " takes seconds between 0 and 86400, not '" + *value +
                                   "'");
  }
  return seconds;
}

// Forks a child that does the work; the parent waits until the child says
// it is mounted (exit 0) or why it failed (its exit code), then exits.
// Returns in the child only, with the fd to report on.
int Daemonize(Context& ctx) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid > 0) {
    ::close(pipe_fds[1]);
    unsigned char code = kExitError;
    ssize_t n = 0;
    do {
      n = ::read(pipe_fds[0], &code, 1);
    } while (n < 0 && errno == EINTR);
    ctx.err->flush();
    std::_Exit(n == 1 ? static_cast<int>(code) : static_cast<int>(kExitError));
  }
  ::close(pipe_fds[0]);
  ::setsid();
  return pipe_fds[1];
}

void Report(int fd, int code) {
  if (fd < 0) return;
  auto byte = static_cast<unsigned char>(code);
  ssize_t ignored = ::write(fd, &byte, 1);
  (void)ignored;
  ::close(fd);
}

int MountMain(Context& ctx, const Args& args) {
  if (args.positional().size() != 1) return ctx.Usage("mount takes one MOUNTPOINT");
  fuse::MountOptions options;
  options.mountpoint = args.positional()[0];
  options.root = PathArg(args.Get("--root").value_or("/"));
  options.snapshot = args.Get("--snapshot").value_or("");
  options.read_only = args.Has("--read-only");
  options.fuse_options = args.GetAll("-o");
  auto entry = Seconds(args, "--entry-timeout", 1.0);
  auto attr = Seconds(args, "--attr-timeout", 1.0);
  if (!entry.ok()) return ctx.Usage(entry.status().message());
  if (!attr.ok()) return ctx.Usage(attr.status().message());
  options.entry_timeout = std::chrono::duration<double>(*entry);
  options.attr_timeout = std::chrono::duration<double>(*attr);
  const char* tmp = std::getenv("TMPDIR");
  options.spool_dir = args.Get("--spool").value_or(tmp != nullptr && *tmp ? tmp : "/var/tmp");
  std::ostream* err = ctx.err;
  options.log = [err](std::string_view line) { *err << "nokv: mount: " << line << std::endl; };

  // Before any thread starts: the child of a fork has only the forking
  // thread, and the stop signals are taken by sigwait below.
  int report = args.Has("--daemon") ? Daemonize(ctx) : -1;
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&stop_signals, sig);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto fail = [&](std::string_view what, const Status& s) {
    int code = ctx.Fail(what, s);
    Report(report, code);
    return code;
  };
  // A long-running holder: it serves the data directory to other processes.
  ctx.serve_dir = true;
  auto fs = ctx.Fs();
  if (!fs.ok()) return fail("mount", fs.status());
  auto mount = fuse::Mount::Start(*fs, options);
  if (!mount.ok()) return fail("mount", mount.status());
  if (!ctx.quiet) {
    *ctx.err << "nokv: mounted " << options.root << " on " << options.mountpoint
             << (options.snapshot.empty() ? "" : " at snapshot " + options.snapshot)
             << (options.read_only ? " (read-only)" : "") << "\n";
    ctx.err->flush();
  }
  if (report >= 0) {
    Report(report, kExitOk);
    // The parent has returned; a daemon writes nowhere the terminal reads.
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) {
      for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) ::dup2(null_fd, fd);
      ::close(null_fd);
    }
  }
  fuse::Mount* m = mount->get();
  std::thread stopper([&stop_signals, m] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (sig != 0) m->Stop();
  });
  Status ran = m->Run();
  // Unmounted from outside: wake the signal thread to let it finish.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  if (!ran.ok()) return ctx.Fail("mount", ran);
  return kExitOk;
}

}  // namespace

Command MountCommand() {
  return {"mount",
          "mount the namespace with FUSE",
          {"MOUNTPOINT [flags]"},
          kDescription,
          {{"--root", "mount this subtree (default /)", "PATH"},
           {"--snapshot", "mount a snapshot: frozen, read-only", "NAME"},
           {"--read-only", "refuse every change (EROFS)"},
           {"-o", "FUSE mount options: allow_other, default_permissions, ...", "OPTIONS", true},
           {"--entry-timeout", "how long the kernel caches names (default 1)", "SEC"},
           {"--attr-timeout", "how long the kernel caches attributes (default 1)", "SEC"},
           {"--spool", "where files being written wait until closed (default $TMPDIR or /var/tmp)",
            "DIR"},
           {"--daemon", "return once mounted and keep serving in the background"}},
          {},
          MountMain};
}

}  // namespace nokv::cli
