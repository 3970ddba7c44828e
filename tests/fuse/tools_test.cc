// Real tools on a mount made by the `nokv` binary: cp, diff, tar, git,
// python, sqlite3, grep, find, du, rsync and fio; the CLI beside a mount;
// two mounts of one metadata server; and a mount killed mid-write.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "cli/run_nokv.h"
#include "test_dir.h"

namespace nokv {
namespace {

using testing::RunProgram;
using testing::RunResult;
using testing::TempDir;

RunResult Sh(const std::string& command) { return RunProgram({"/bin/sh", "-c", command}); }

RunResult Nokv(const std::string& data_dir, std::vector<std::string> args,
               const std::string& input = {}) {
  args.insert(args.begin(), {NOKV_BINARY, "--data-dir", data_dir});
  return RunProgram(args, input);
}

// A long-running `nokv` command as a child process, ready once it has
// printed `marker` on stderr (an exit before that is a failure).
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& marker) {
    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(err[1], 2);
      ::close(err[0]);
      ::close(err[1]);
      testing::ExecProgram(argv);
    }
    ::close(err[1]);
    err_fd_ = err[0];
    for (std::string line; ReadLine(&line);) {
      log_ += line + "\n";
      if (line.find(marker) != std::string::npos) {
        ready_ = true;
        break;
      }
    }
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (err_fd_ >= 0) ::close(err_fd_);
  }

  bool ready() const { return ready_; }
  const std::string& log() const { return log_; }

  // Sends `sig` (0: none) and waits for the exit; the exit code.
  int Stop(int sig) {
    if (sig != 0) ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  bool ReadLine(std::string* line) {
    line->clear();
    char c;
    for (;;) {
      ssize_t n = ::read(err_fd_, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return !line->empty();
      if (c == '\n') return true;
      line->push_back(c);
    }
  }

  pid_t pid_ = -1;
  int err_fd_ = -1;
  bool ready_ = false;
  std::string log_;
};

std::vector<std::string> MountArgv(const std::vector<std::string>& global,
                                   const std::string& mountpoint,
                                   const std::vector<std::string>& flags) {
  ::mkdir(mountpoint.c_str(), 0755);
  std::vector<std::string> argv = {NOKV_BINARY};
  argv.insert(argv.end(), global.begin(), global.end());
  argv.insert(argv.end(), {"mount", mountpoint});
  argv.insert(argv.end(), flags.begin(), flags.end());
  return argv;
}

// `nokv mount` in the foreground.
class MountProcess {
 public:
  MountProcess(const std::vector<std::string>& global, const std::string& mountpoint,
               const std::vector<std::string>& flags = {})
      : mountpoint_(mountpoint), child_(MountArgv(global, mountpoint, flags), "nokv: mounted") {}

  ~MountProcess() {
    if (!stopped_) {
      child_.Stop(SIGKILL);
      Sh("fusermount3 -uz " + mountpoint_ + " 2>/dev/null");
    }
  }

  bool ready() const { return child_.ready(); }
  const std::string& log() const { return child_.log(); }

  // Unmounts as a user would; the process's exit code.
  int Unmount() {
    RunResult u = Sh("fusermount3 -u " + mountpoint_);
    EXPECT_EQ(u.exit_code, 0) << u.err;
    stopped_ = true;
    return child_.Stop(0);
  }

  // Stops it with a signal; its exit code.
  int Signal(int sig) {
    stopped_ = true;
    return child_.Stop(sig);
  }

  // kill -9: no chance to clean up. The dead mount is detached after.
  void Crash() {
    stopped_ = true;
    child_.Stop(SIGKILL);
    Sh("fusermount3 -uz " + mountpoint_);
  }

 private:
  std::string mountpoint_;
  Child child_;
  bool stopped_ = false;
};

class ToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.Sub("data");
    mnt_ = dir_.Sub("mnt");
    ASSERT_EQ(::mkdir(mnt_.c_str(), 0755), 0);
    ASSERT_EQ(Nokv(data_, {"init"}).exit_code, 0);
  }

  std::unique_ptr<MountProcess> Mount(std::vector<std::string> flags = {}) {
    auto m =
        std::make_unique<MountProcess>(std::vector<std::string>{"--data-dir", data_}, mnt_, flags);
    EXPECT_TRUE(m->ready()) << m->log();
    return m;
  }

  // Runs a shell command that must succeed.
  void Ok(const std::string& command) {
    RunResult r = Sh(command);
    EXPECT_EQ(r.exit_code, 0) << command << "\nstdout: " << r.out << "\nstderr: " << r.err;
  }

  TempDir dir_;
  std::string data_;
  std::string mnt_;
};

constexpr char kSourceTree[] = NOKV_SOURCE_DIR "/src";

TEST_F(ToolsTest, CopyDiffTarGrepFindDuRsync) {
  auto m = Mount();
  std::string src = kSourceTree;
  Ok("cp -r " + src + " " + mnt_ + "/copy");
  Ok("diff -r " + src + " " + mnt_ + "/copy");
  Ok("tar -C " + src + " -cf " + mnt_ + "/src.tar .");
  Ok("mkdir " + mnt_ + "/untar && tar -C " + mnt_ + "/untar -xf " + mnt_ + "/src.tar");
  Ok("diff -r " + src + " " + mnt_ + "/untar");
  Ok("rsync -a " + src + "/ " + mnt_ + "/rsynced/");
  Ok("diff -r " + src + " " + mnt_ + "/rsynced");
  // rsync -a kept the times: a second run has nothing to send.
  RunResult again = Sh("rsync -a -i " + src + "/ " + mnt_ + "/rsynced/");
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.out, "");
  RunResult here = Sh("grep -rl 'namespace nokv' " + src + " | wc -l");
  RunResult there = Sh("grep -rl 'namespace nokv' " + mnt_ + "/copy | wc -l");
  EXPECT_EQ(here.out, there.out);
  RunResult found_here = Sh("cd " + src + " && find . -name '*.cc' | sort");
  RunResult found_there = Sh("cd " + mnt_ + "/copy && find . -name '*.cc' | sort");
  EXPECT_EQ(found_here.out, found_there.out);
  EXPECT_FALSE(found_there.out.empty());
  Ok("du -s " + mnt_ + "/copy");
  std::string sizes = " -type f -printf '%s\\n' | awk '{s+=$1} END {print s}'";
  RunResult bytes_here = Sh("find " + src + sizes);
  RunResult bytes_there = Sh("find " + mnt_ + "/copy" + sizes);
  EXPECT_EQ(bytes_here.out, bytes_there.out);
  EXPECT_EQ(m->Unmount(), 0);
}

TEST_F(ToolsTest, GitInitCommitLogGc) {
  auto m = Mount();
  std::string repo = mnt_ + "/repo";
  std::string git = "git -C " + repo + " -c user.name=t -c user.email=t@e ";
  Ok("git init -q " + repo);
  Ok("cp -r " + std::string(kSourceTree) + "/common " + repo + "/");
  Ok(git + "add -A");
  Ok(git + "commit -q -m first");
  Ok("echo change >> " + repo + "/common/status.h && " + git + "commit -q -am second");
  RunResult log = Sh(git + "log --oneline");
  EXPECT_EQ(log.exit_code, 0) << log.err;
  EXPECT_EQ(std::count(log.out.begin(), log.out.end(), '\n'), 2) << log.out;
  Ok(git + "gc -q");
  Ok(git + "fsck --strict");
  Ok(git + "status --porcelain | wc -l | grep -qx 0");
  EXPECT_EQ(m->Unmount(), 0);
}

TEST_F(ToolsTest, PythonReplacesACheckpointAtomically) {
  auto m = Mount();
  std::string script =
      "import os, sys\n"
      "d = sys.argv[1]\n"
      "for step in range(5):\n"
      "    tmp = os.path.join(d, 'ckpt.tmp')\n"
      "    with open(tmp, 'wb') as f:\n"
      "        f.write(bytes([step]) * (1 << 20))\n"
      "        f.flush()\n"
      "        os.fsync(f.fileno())\n"
      "    os.replace(tmp, os.path.join(d, 'ckpt.bin'))\n"
      "data = open(os.path.join(d, 'ckpt.bin'), 'rb').read()\n"
      "assert data == bytes([4]) * (1 << 20), len(data)\n"
      "assert not os.path.exists(os.path.join(d, 'ckpt.tmp'))\n";
  RunResult r = RunProgram({"python3", "-c", script, mnt_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(m->Unmount(), 0);
  RunResult stat = Nokv(data_, {"stat", "/ckpt.bin"});
  EXPECT_EQ(stat.exit_code, 0);
  EXPECT_NE(stat.out.find("1048576"), std::string::npos) << stat.out;
}

TEST_F(ToolsTest, Sqlite3Works) {
  auto m = Mount();
  std::string db = mnt_ + "/test.db";
  Ok("sqlite3 " + db +
     " 'create table t(x integer); "
     "with recursive c(i) as (select 1 union all select i+1 from c where i<1000) "
     "insert into t select i from c;'");
  RunResult sum = Sh("sqlite3 " + db + " 'select count(*), sum(x) from t;'");
  EXPECT_EQ(sum.out, "1000|500500\n") << sum.err;
  Ok("sqlite3 " + db + " 'pragma integrity_check;' | grep -qx ok");
  EXPECT_EQ(m->Unmount(), 0);
}

TEST_F(ToolsTest, FioVerifiesWhatItWrites) {
  auto m = Mount();
  std::string common = " --directory=" + mnt_ +
                       " --size=16m --verify=crc32c --do_verify=1"
                       " --output-format=terse --minimal";
  Ok("fio --name=seq --rw=write --bs=1m" + common);
  Ok("fio --name=rand --rw=randwrite --bs=4k --norandommap" + common);
  // Read back what the first job laid out, from a fresh open.
  Ok("fio --name=seq --rw=read --bs=1m --verify=crc32c --directory=" + mnt_ +
     " --size=16m --verify_only --output-format=terse --minimal");
  EXPECT_EQ(m->Unmount(), 0);
}

TEST_F(ToolsTest, TheCliGoesThroughTheMountAndSeesItsFiles) {
  auto m = Mount();
  Ok("printf 'from the mount' > " + mnt_ + "/m.txt");
  RunResult cat = Nokv(data_, {"cat", "/m.txt"});
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "from the mount");
  RunResult put = Nokv(data_, {"put", "-", "/cli.txt"}, "from the cli");
  EXPECT_EQ(put.exit_code, 0) << put.err;
  std::ifstream in(mnt_ + "/cli.txt");
  std::string seen((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(seen, "from the cli");
  EXPECT_EQ(m->Signal(SIGTERM), 0);
  // Unmounted: the mountpoint is an empty local directory again.
  RunResult ls = Sh("ls -A " + mnt_);
  EXPECT_EQ(ls.out, "");
}

// Another user (nobody) on the mount: shut out unless -o allow_other; then,
// with default_permissions, the kernel checks each file's mode and owner.
TEST_F(ToolsTest, AllowOtherAndDefaultPermissionsAreHonoured) {
  ASSERT_EQ(::getuid(), 0u) << "the FUSE suite runs as root";
  ::chmod(dir_.path().c_str(), 0755);  // nobody may walk to the mountpoint
  const std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  {
    auto m = Mount();
    Ok("printf public > " + mnt_ + "/pub && chmod 0644 " + mnt_ + "/pub");
    RunResult shut = Sh(as_nobody + "cat " + mnt_ + "/pub");
    EXPECT_NE(shut.exit_code, 0) << "without allow_other only the mounting user gets in";
    EXPECT_NE(shut.err.find("Permission denied"), std::string::npos) << shut.err;
    EXPECT_EQ(m->Unmount(), 0);
  }
  auto m = Mount({"-o", "allow_other,default_permissions"});
  Ok("printf secret > " + mnt_ + "/secret && chmod 0600 " + mnt_ + "/secret");
  Ok("mkdir " + mnt_ + "/rootdir && chmod 0755 " + mnt_ + "/rootdir");
  RunResult pub = Sh(as_nobody + "cat " + mnt_ + "/pub");
  EXPECT_EQ(pub.exit_code, 0) << pub.err;
  EXPECT_EQ(pub.out, "public");
  RunResult secret = Sh(as_nobody + "cat " + mnt_ + "/secret");
  EXPECT_NE(secret.exit_code, 0);
  EXPECT_NE(secret.err.find("Permission denied"), std::string::npos) << secret.err;
  RunResult write = Sh(as_nobody + "sh -c 'echo x > " + mnt_ + "/rootdir/mine'");
  EXPECT_NE(write.exit_code, 0) << "a 0755 directory of root's takes no file from nobody";
  EXPECT_NE(write.err.find("Permission denied"), std::string::npos) << write.err;
  // Root still reads everything, and nothing was created by the refusals.
  EXPECT_EQ(Sh("cat " + mnt_ + "/secret").out, "secret");
  EXPECT_EQ(Nokv(data_, {"ls", "/rootdir"}).out, "");
  EXPECT_EQ(m->Unmount(), 0);
}

TEST_F(ToolsTest, TwoMountsOfOneServer) {
  // `nokv serve` holds the data directory; both mounts are its clients.
  Child server({NOKV_BINARY, "--data-dir", data_, "serve"}, "nokv: serving");
  ASSERT_TRUE(server.ready()) << server.log();
  std::string sock = "unix:" + data_ + "/nokv.sock";
  std::string a = dir_.Sub("a"), b = dir_.Sub("b");
  MountProcess ma({"--server", sock}, a);
  MountProcess mb({"--server", sock}, b);
  ASSERT_TRUE(ma.ready()) << ma.log();
  ASSERT_TRUE(mb.ready()) << mb.log();
  Ok("printf 'written on a' > " + a + "/shared");
  Ok("test \"$(cat " + b + "/shared)\" = 'written on a'");
  Ok("mv " + b + "/shared " + b + "/moved");
  Ok("for i in $(seq 200); do test -e " + a +
     "/shared || break; sleep 0.05; done; "
     "test ! -e " +
     a + "/shared");
  Ok("test \"$(cat " + a + "/moved)\" = 'written on a'");
  EXPECT_EQ(ma.Unmount(), 0);
  EXPECT_EQ(mb.Unmount(), 0);
  EXPECT_EQ(server.Stop(SIGTERM), 0);
}

TEST_F(ToolsTest, AMountKilledMidWriteLeavesNothingHalfPublished) {
  ASSERT_EQ(Nokv(data_, {"put", "-", "/model.bin"}, "version one").exit_code, 0);
  auto m = Mount();
  int fd = ::open((mnt_ + "/model.bin").c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  std::string half(1 << 20, 'h');
  ASSERT_EQ(::write(fd, half.data(), half.size()), static_cast<ssize_t>(half.size()));
  int created = ::open((mnt_ + "/new.bin").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(created, 0);
  ASSERT_EQ(::write(created, half.data(), half.size()), static_cast<ssize_t>(half.size()));
  m->Crash();
  ::close(fd);
  ::close(created);
  // Remounted (recovery of the data directory included): the old body is
  // whole, and the new file has no body.
  auto again = Mount();
  Ok("test \"$(cat " + mnt_ + "/model.bin)\" = 'version one'");
  Ok("test ! -s " + mnt_ + "/new.bin");
  EXPECT_EQ(again->Unmount(), 0);
  RunResult doctor = Nokv(data_, {"doctor"});
  EXPECT_EQ(doctor.exit_code, 0) << doctor.out << doctor.err;
}

// A full spool (a 1 MiB tmpfs under --spool): the write that does not fit
// fails with ENOSPC and so does close, the file keeps its old bytes (not the
// part written before the error), the mount keeps working, and a file that
// fits is published.
TEST_F(ToolsTest, AFullSpoolFailsTheWriteCleanlyAndKeepsTheOldBody) {
  std::string spool = dir_.Sub("spool");
  ASSERT_EQ(::mkdir(spool.c_str(), 0755), 0);
  if (::mount("tmpfs", spool.c_str(), "tmpfs", 0, "size=1m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs at " << spool << ": " << std::strerror(errno);
  }
  ASSERT_EQ(Nokv(data_, {"put", "-", "/model.bin"}, "version one").exit_code, 0);
  {
    auto m = Mount({"--spool", spool});
    int fd = ::open((mnt_ + "/model.bin").c_str(), O_WRONLY | O_TRUNC);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    std::string chunk(256 << 10, 'z');
    int write_error = 0;
    for (int i = 0; i < 16 && write_error == 0; ++i) {  // 4 MiB into 1 MiB
      if (::write(fd, chunk.data(), chunk.size()) < 0) write_error = errno;
    }
    EXPECT_EQ(write_error, ENOSPC) << std::strerror(write_error);
    // close reports that the file was not published.
    EXPECT_EQ(::close(fd), -1);
    EXPECT_EQ(errno, ENOSPC) << std::strerror(errno);
    Ok("test \"$(cat " + mnt_ + "/model.bin)\" = 'version one'");
    Ok("printf 'small' > " + mnt_ + "/small.txt");
    Ok("test \"$(cat " + mnt_ + "/small.txt)\" = small");
    EXPECT_EQ(m->Unmount(), 0);
  }
  ::umount2(spool.c_str(), MNT_DETACH);
  EXPECT_EQ(Nokv(data_, {"cat", "/model.bin"}).out, "version one");
  auto fsck = Nokv(data_, {"fsck"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
}

TEST_F(ToolsTest, DaemonReturnsOnceMounted) {
  RunResult r = Nokv(data_, {"mount", mnt_, "--daemon"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Mounted when the command returned: no waiting.
  Ok("grep -q ' " + mnt_ + " fuse.nokv ' /proc/self/mounts");
  Ok("printf daemon > " + mnt_ + "/d.txt");
  Ok("fusermount3 -u " + mnt_);
  RunResult cat = Nokv(data_, {"--wait", "10s", "cat", "/d.txt"});
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "daemon");
}

TEST_F(ToolsTest, BadArgumentsFailClearly) {
  RunResult no_point = Nokv(data_, {"mount"});
  EXPECT_EQ(no_point.exit_code, 2);
  RunResult bad_option = Nokv(data_, {"mount", mnt_, "-o", "no_such_option"});
  EXPECT_NE(bad_option.exit_code, 0);
  EXPECT_NE(bad_option.err.find("no_such_option"), std::string::npos) << bad_option.err;
  RunResult missing_dir = Nokv(data_, {"mount", dir_.Sub("nowhere/at/all")});
  EXPECT_NE(missing_dir.exit_code, 0);
  EXPECT_NE(missing_dir.err.find("cannot mount"), std::string::npos) << missing_dir.err;
  RunResult bad_root = Nokv(data_, {"mount", mnt_, "--root", "/nope"});
  EXPECT_EQ(bad_root.exit_code, 3) << bad_root.err;
  RunResult bad_timeout = Nokv(data_, {"mount", mnt_, "--attr-timeout", "soon"});
  EXPECT_EQ(bad_timeout.exit_code, 2);
}

}  // namespace
}  // namespace nokv
