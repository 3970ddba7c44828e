// One data directory shared by real processes with no flags (docs/cli.md,
// "Sharing a data directory"): `nokv mcp` holds and serves it while CLI
// commands, `watch --follow` and parallel readers go through it; a holder
// killed with -9 while commands run is taken over and loses nothing
// acknowledged.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "run_nokv.h"
#include "test_dir.h"

namespace nokv::testing {
namespace {

using Clock = std::chrono::steady_clock;

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
    auto deadline = Clock::now() + timeout;
    for (;;) {
      if (size_t nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
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
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
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

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class SharingTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(Nokv({"init"}).exit_code, 0); }

  std::vector<std::string> Argv(std::vector<std::string> args) {
    args.insert(args.begin(), {NOKV_BINARY, "--data-dir", dir_.Sub("data")});
    return args;
  }
  RunResult Nokv(std::vector<std::string> args, const std::string& input = {}) {
    return RunProgram(Argv(std::move(args)), input);
  }
  std::string Local(const std::string& name, const std::string& bytes) {
    std::string path = dir_.Sub(name);
    std::ofstream(path) << bytes;
    return path;
  }

  TempDir dir_;
};

constexpr char kInitialize[] =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":)"
    R"("2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";

std::string ToolCall(int id, const std::string& tool, const std::string& arguments) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
         R"(,"method":"tools/call","params":{"name":")" + tool + R"(","arguments":)" + arguments +
         "}}";
}

TEST_F(SharingTest, McpWatchCliAndParallelReadersShareOneDirectory) {
  // `nokv mcp` opens the free directory and serves it.
  Interactive mcp(Argv({"mcp"}), dir_.Sub("mcp.err"));
  ASSERT_TRUE(mcp.Send(kInitialize));
  ASSERT_NE(mcp.ReadLine().find(R"("id":1)"), std::string::npos) << Slurp(dir_.Sub("mcp.err"));
  ASSERT_TRUE(std::filesystem::exists(dir_.Sub("data") + "/nokv.sock"));

  // `watch --follow` goes through it (it does not wait for the lock).
  Interactive watch(Argv({"--json", "--no-wait", "watch", "--follow", "/"}), dir_.Sub("watch.err"));

  // A CLI put, with no flags and no waiting, is seen by everyone at once.
  auto put = Nokv({"--no-wait", "put", Local("m.csv", "step,loss\n1,0.5\n"), "/runs/1/m.csv"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(put.err.find("waiting"), std::string::npos) << put.err;
  ASSERT_TRUE(mcp.Send(ToolCall(2, "stat", R"({"path":"/runs/1/m.csv"})")));
  std::string stat = mcp.ReadLine();
  EXPECT_NE(stat.find(R"("id":2)"), std::string::npos) << stat;
  EXPECT_NE(stat.find("size"), std::string::npos) << stat;
  EXPECT_EQ(stat.find("not_found"), std::string::npos) << stat;
  EXPECT_TRUE(watch.WaitFor("/runs/1/m.csv")) << Slurp(dir_.Sub("watch.err"));

  // Eight readers at once, each its own process.
  std::vector<std::future<RunResult>> readers;
  for (int i = 0; i < 8; ++i) {
    readers.push_back(std::async(std::launch::async, [&] {
      return Nokv({"--no-wait", "cat", "/runs/1/m.csv"});
    }));
  }
  for (auto& reader : readers) {
    RunResult r = reader.get();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "step,loss\n1,0.5\n");
  }

  // The MCP session ends: the holder exits cleanly, and `watch --follow`
  // takes the directory over and keeps printing.
  mcp.CloseStdin();
  EXPECT_EQ(mcp.Stop(0), 0) << Slurp(dir_.Sub("mcp.err"));
  auto after = Nokv({"put", Local("n.txt", "next"), "/runs/1/n.txt"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_TRUE(watch.WaitFor("/runs/1/n.txt")) << Slurp(dir_.Sub("watch.err"));
  EXPECT_NE(Slurp(dir_.Sub("watch.err")).find("took it over"), std::string::npos)
      << Slurp(dir_.Sub("watch.err"));
}

TEST_F(SharingTest, AHolderKilledMidRequestIsTakenOverAndLosesNothingAcknowledged) {
  Interactive server(Argv({"serve"}), dir_.Sub("serve.err"));
  // Ready once it says where it listens (polling the file it writes).
  auto ready = Clock::now() + std::chrono::seconds(20);
  while (Slurp(dir_.Sub("serve.err")).find(" on unix:") == std::string::npos &&
         Clock::now() < ready) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(Slurp(dir_.Sub("serve.err")).find(" on unix:"), std::string::npos);
  Interactive watch(Argv({"--json", "watch", "--follow", "/w"}), dir_.Sub("watch.err"));

  // Writers publish one file after another while the holder is killed.
  constexpr int kFiles = 24;
  std::atomic<int> finished{0};
  std::vector<RunResult> results(kFiles);
  std::thread writers([&] {
    for (int i = 0; i < kFiles; ++i) {
      std::string name = "f" + std::to_string(i);
      results[i] = Nokv({"put", Local(name, name + " body"), "/w/" + name});
      finished.fetch_add(1);
    }
  });
  // Kill it while the writers are under way (polling their progress).
  while (finished.load() < 4) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(server.Stop(SIGKILL), 128 + SIGKILL);
  writers.join();

  // Every put was acknowledged (a publish carries a request id, so one in
  // flight at the kill was repeated on the new holder), and every
  // acknowledged file reads back.
  for (int i = 0; i < kFiles; ++i) {
    std::string name = "f" + std::to_string(i);
    EXPECT_EQ(results[i].exit_code, 0) << name << ": " << results[i].err;
    auto cat = Nokv({"cat", "/w/" + name});
    EXPECT_EQ(cat.exit_code, 0) << cat.err;
    EXPECT_EQ(cat.out, name + " body");
  }
  // The follower saw every one, across the change of holder.
  for (int i = 0; i < kFiles; ++i) {
    EXPECT_TRUE(watch.WaitFor(R"("path":"/w/f)" + std::to_string(i) + R"(")"))
        << i << ": " << Slurp(dir_.Sub("watch.err"));
  }
}

}  // namespace
}  // namespace nokv::testing
