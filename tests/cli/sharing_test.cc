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

#include "child_process.h"
#include "run_nokv.h"
#include "test_dir.h"

namespace nokv::testing {
namespace {

using Clock = std::chrono::steady_clock;

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
