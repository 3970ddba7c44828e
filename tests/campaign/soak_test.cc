// The concurrency soak of issue #19 (docs/reliability.md, "Concurrency
// soak"): one data directory served by `nokv serve` with background GC,
// backups and scrubs on short intervals, used at once by CLI writers, a
// long-running Python writer, a FUSE mount (writes through it with the
// atomic-save idiom), an MCP server answering reads and greps, a snapshot
// cycle and explicit collections. Every answer is checked against what was
// acknowledged: a read never goes back before an acknowledged version, a
// snapshot reads as it was taken, grep finds exactly the stable files. The
// processes' memory and file descriptors and the data directory's size are
// sampled throughout; at the end every acknowledged file reads back, fsck is
// clean and every process stops cleanly.
//
//   NOKV_SOAK_SECONDS   how long the actors run (default 20: the smoke run)
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "cli/run_nokv.h"
#include "test_dir.h"

namespace nokv::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Resident set (bytes) and open descriptors of a live process.
struct Usage {
  uint64_t rss = 0;
  int fds = 0;
};
Usage UsageOf(pid_t pid) {
  Usage usage;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> usage.rss;
      usage.rss *= 1024;
      break;
    }
    std::getline(status, key);
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++usage.fds;
  }
  return usage;
}

uint64_t TreeBytes(const std::string& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) bytes += it->file_size(ec);
  }
  return bytes;
}

// The text of version `v` of `path`: its first line names both, so any
// reader (cat, MCP read, the mount) can tell which version it got.
std::string Body(const std::string& path, int v) {
  std::string text = path + " v" + std::to_string(v) + "\n";
  for (int i = 0; i < 40 + v % 50; ++i) text += "filler line " + std::to_string(i) + "\n";
  return text;
}
// The version named by a body's first line, -1 if none.
int VersionOf(const std::string& first_line) {
  size_t at = first_line.rfind(" v");
  return at == std::string::npos ? -1 : std::atoi(first_line.c_str() + at + 2);
}

// A writer that streams files through nokv.Client, forever: `ack PATH V`
// after each close, until stdin closes.
constexpr char kPythonSoak[] = R"(
import sys, select, nokv
client = nokv.Client(sys.argv[1])
v = 0
while True:
    if select.select([sys.stdin], [], [], 0)[0] and not sys.stdin.readline():
        break
    v += 1
    path = "/soak/py/f%d" % (v % 6)
    text = path + " v%d\n" % v + "".join("filler line %d\n" % i for i in range(40 + v % 50))
    with client.open(path, "w") as f:
        f.write(text)
    print("ack", path, v, flush=True)
)";

class SoakTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Nokv({"init", "--block-size", "16KiB"}).exit_code, 0);
    ASSERT_EQ(Nokv({"mkdir", "-p", "/soak/cli", "/soak/py", "/soak/fuse", "/soak/snap",
                    "/soak/stable", "/soak/x"})
                  .exit_code,
              0);
    // Files nobody changes: grep must always find exactly these.
    for (int i = 0; i < 4; ++i) {
      ASSERT_EQ(Nokv({"put", "-", "/soak/stable/s" + std::to_string(i)},
                     "stable token-" + std::to_string(i) + "\n")
                    .exit_code,
                0);
    }
    fuse_ = ::access("/dev/fuse", R_OK | W_OK) == 0;
  }

  std::vector<std::string> Argv(std::vector<std::string> args) {
    args.insert(args.begin(), {NOKV_BINARY, "--data-dir", dir_.Sub("data")});
    return args;
  }
  RunResult Nokv(std::vector<std::string> args, const std::string& input = {}) {
    return RunProgram(Argv(std::move(args)), input);
  }
  std::string Mnt() { return dir_.Sub("mnt"); }

  // What was acknowledged: path -> newest version (one writer per path).
  void Ack(const std::string& path, int v) {
    std::lock_guard lock(mu_);
    acked_[path] = std::max(acked_[path], v);
  }
  int Acked(const std::string& path) {
    std::lock_guard lock(mu_);
    auto it = acked_.find(path);
    return it == acked_.end() ? 0 : it->second;
  }
  void Fail(const std::string& what) {
    std::lock_guard lock(mu_);
    failures_.push_back(what);
  }

  // --- actors --------------------------------------------------------------

  void CliWriter() {
    for (int v = 1; !stop_; ++v) {
      std::string path = "/soak/cli/f" + std::to_string(v % 6);
      auto put = Nokv({"put", "--replace", "-", path}, Body(path, v));
      if (put.exit_code != 0) return Fail("cli put " + path + ": " + put.err);
      Ack(path, v);
      ++writes_;
    }
  }

  void FuseWriter() {
    for (int v = 1; !stop_; ++v) {
      std::string path = "/soak/fuse/f" + std::to_string(v % 6);
      std::string tmp = Mnt() + "/soak/x/fuse.tmp";
      {
        std::ofstream out(tmp, std::ios::binary);
        out << Body(path, v);
        if (!out.flush()) return Fail("fuse write " + tmp);
      }
      if (std::rename(tmp.c_str(), (Mnt() + path).c_str()) != 0) {
        return Fail("fuse rename to " + path + ": " + std::strerror(errno));
      }
      Ack(path, v);
      ++writes_;
    }
  }

  void PythonWriter(Interactive& python) {
    for (;;) {
      std::string line = python.ReadLine(std::chrono::seconds(60));
      if (line.empty()) return;  // stdin closed: it stopped
      std::istringstream words(line);
      std::string ack, path;
      int v = 0;
      if (!(words >> ack >> path >> v) || ack != "ack") return Fail("python said: " + line);
      Ack(path, v);
      ++writes_;
    }
  }

  // MCP reads and greps, each checked: never older than acknowledged before
  // the call; the stable token in exactly its file.
  void McpReader(Interactive& mcp) {
    std::mt19937 rng(7);
    const std::vector<std::string> dirs = {"/soak/cli/f", "/soak/py/f", "/soak/fuse/f"};
    for (int id = 10; !stop_; ++id) {
      if (id % 5 == 0) {
        int k = static_cast<int>(rng() % 4);
        nlohmann::json args = {{"path", "/soak/stable"}, {"pattern", "token-" + std::to_string(k)}};
        auto result = Call(mcp, id, "grep", args);
        if (!result) return;
        const auto& matches = (*result)["matches"];
        if (matches.size() != 1 || matches[0]["path"] != "/soak/stable/s" + std::to_string(k)) {
          return Fail("grep token-" + std::to_string(k) + ": " + result->dump());
        }
        ++mcp_checks_;
        continue;
      }
      std::string path = dirs[rng() % dirs.size()] + std::to_string(rng() % 6);
      int floor = Acked(path);
      if (floor == 0) continue;  // not written yet
      auto result = Call(mcp, id, "read", {{"path", path}, {"limit", 1}});
      if (!result) return;
      int got = VersionOf((*result)["lines"][0]["text"].get<std::string>());
      if (got < floor) {
        return Fail("mcp read " + path + " returned v" + std::to_string(got) + " after v" +
                    std::to_string(floor) + " was acknowledged");
      }
      ++mcp_checks_;
    }
  }
  std::optional<nlohmann::json> Call(Interactive& mcp, int id, const std::string& tool,
                                     const nlohmann::json& args) {
    nlohmann::json request = {{"jsonrpc", "2.0"},
                              {"id", id},
                              {"method", "tools/call"},
                              {"params", {{"name", tool}, {"arguments", args}}}};
    if (!mcp.Send(request.dump())) {
      Fail("mcp stdin closed");
      return std::nullopt;
    }
    auto reply = nlohmann::json::parse(mcp.ReadLine(std::chrono::seconds(60)), nullptr, false);
    if (reply.is_discarded() || reply["id"] != id || !reply.contains("result") ||
        reply["result"].value("isError", false)) {
      Fail("mcp " + tool + " " + args.dump() + ": " + reply.dump());
      return std::nullopt;
    }
    return reply["result"]["structuredContent"];
  }

  // Snapshots against collections: what a snapshot froze stays readable
  // after the file changed and GC ran.
  void SnapshotCycle() {
    for (int k = 1; !stop_; ++k) {
      std::string name = "soak-" + std::to_string(k);
      if (Nokv({"put", "--replace", "-", "/soak/snap/f"}, "frozen " + name).exit_code != 0 ||
          Nokv({"snapshot", "create", name, "--root", "/soak"}).exit_code != 0 ||
          Nokv({"put", "--replace", "-", "/soak/snap/f"}, "changed after " + name).exit_code != 0) {
        return Fail("snapshot cycle " + name);
      }
      if (Nokv({"gc"}).exit_code != 0) return Fail("gc during the snapshot cycle");
      auto frozen = Nokv({"cat", "--snapshot", name, "/soak/snap/f"});
      if (frozen.out != "frozen " + name) {
        return Fail("snapshot " + name + " reads '" + frozen.out + "' " + frozen.err);
      }
      ++snapshot_checks_;
      if (k > 2) Nokv({"snapshot", "rm", "soak-" + std::to_string(k - 2)});
    }
  }

  TempDir dir_;
  bool fuse_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<int> writes_{0}, mcp_checks_{0}, snapshot_checks_{0};
  std::mutex mu_;
  std::map<std::string, int> acked_;   // guarded by mu_
  std::vector<std::string> failures_;  // guarded by mu_
};

TEST_F(SoakTest, EveryFrontDoorAtOnceAgainstAModelWithBoundedResources) {
  const char* env = std::getenv("NOKV_SOAK_SECONDS");
  const int seconds = env != nullptr ? std::atoi(env) : 20;

  Child server(Argv({"serve", "--gc-interval", "1s", "--backup-interval", "3s", "--backup-keep",
                     "2", "--scrub-interval", "2s"}),
               "/dev/null", dir_.Sub("serve.err"));
  auto ready = Clock::now() + std::chrono::seconds(30);
  while (Slurp(dir_.Sub("serve.err")).find(" on unix:") == std::string::npos) {
    ASSERT_FALSE(server.Poll()) << Slurp(dir_.Sub("serve.err"));
    ASSERT_LT(Clock::now(), ready);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::unique_ptr<Child> mount;
  if (fuse_) {
    std::filesystem::create_directories(Mnt());
    mount = std::make_unique<Child>(Argv({"mount", Mnt()}), "/dev/null", dir_.Sub("mount.err"));
    while (Slurp(dir_.Sub("mount.err")).find("nokv: mounted") == std::string::npos) {
      ASSERT_FALSE(mount->Poll()) << Slurp(dir_.Sub("mount.err"));
      ASSERT_LT(Clock::now(), ready);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  Interactive mcp(Argv({"mcp"}), dir_.Sub("mcp.err"));
  ASSERT_TRUE(
      mcp.Send(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":)"
               R"("2025-06-18","capabilities":{},"clientInfo":{"name":"soak","version":"1"}}})"));
  ASSERT_NE(mcp.ReadLine().find(R"("id":1)"), std::string::npos) << Slurp(dir_.Sub("mcp.err"));
  ASSERT_TRUE(mcp.Send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  ::setenv("PYTHONPATH", NOKV_PYTHONPATH, 1);
  ::setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
  std::vector<std::string> python_argv = Python3Argv();
  python_argv.insert(python_argv.end(), {"-c", kPythonSoak, dir_.Sub("data")});
  Interactive python(python_argv, dir_.Sub("python.err"));

  std::vector<std::thread> actors;
  actors.emplace_back([&] { CliWriter(); });
  if (fuse_) actors.emplace_back([&] { FuseWriter(); });
  actors.emplace_back([&] { PythonWriter(python); });
  actors.emplace_back([&] { McpReader(mcp); });
  actors.emplace_back([&] { SnapshotCycle(); });

  // Sample the long-running processes once a second (a sampling period,
  // not a synchronization).
  struct Sample {
    std::map<std::string, Usage> usage;
    uint64_t data_bytes = 0;
  };
  std::vector<Sample> samples;
  auto end = Clock::now() + std::chrono::seconds(seconds);
  while (Clock::now() < end) {
    Sample sample;
    sample.usage["serve"] = UsageOf(server.pid());
    if (mount) sample.usage["mount"] = UsageOf(mount->pid());
    sample.usage["mcp"] = UsageOf(mcp.pid());
    sample.usage["python"] = UsageOf(python.pid());
    sample.data_bytes = TreeBytes(dir_.Sub("data"));
    samples.push_back(sample);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  stop_ = true;
  python.CloseStdin();
  for (auto& actor : actors) actor.join();
  EXPECT_EQ(python.Stop(0), 0) << Slurp(dir_.Sub("python.err"));
  for (const auto& failure : failures_) ADD_FAILURE() << failure;

  // Every acknowledged file reads back at its newest version.
  for (const auto& [path, v] : acked_) {
    auto cat = Nokv({"cat", path});
    EXPECT_EQ(cat.out, Body(path, v)) << path << ": " << cat.err;
  }
  auto fsck = Nokv({"fsck"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;

  // Resources: after the first quarter (caches warm), descriptors do not
  // climb and memory stays bounded.
  ASSERT_GE(samples.size(), 4u);
  const Sample& warm = samples[samples.size() / 4];
  const Sample& last = samples.back();
  std::ostringstream report;
  report << "soak: " << seconds << " s, " << writes_ << " writes, " << mcp_checks_
         << " MCP answers checked, " << snapshot_checks_ << " snapshots checked\n";
  for (const auto& [name, usage] : last.usage) {
    uint64_t peak = 0;
    for (const auto& s : samples) peak = std::max(peak, s.usage.at(name).rss);
    report << "  " << name << ": fds " << warm.usage.at(name).fds << " -> " << usage.fds
           << ", peak RSS " << peak / (1 << 20) << " MiB\n";
    EXPECT_LE(usage.fds, warm.usage.at(name).fds + 16) << name << " leaks descriptors";
    EXPECT_LT(peak, 1ull << 30) << name << " memory";
  }
  report << "  data directory: " << warm.data_bytes / 1024 << " KiB -> " << last.data_bytes / 1024
         << " KiB\n";
  std::cout << report.str();
  // Replaced versions, old backups and snapshots are collected as it goes.
  EXPECT_LT(last.data_bytes, 2 * warm.data_bytes + (64 << 20));
  EXPECT_GT(writes_.load(), 0);
  EXPECT_GT(mcp_checks_.load(), 0);
  EXPECT_GT(snapshot_checks_.load(), 0);

  // Everything stops cleanly.
  mcp.CloseStdin();
  EXPECT_EQ(mcp.Stop(0), 0) << Slurp(dir_.Sub("mcp.err"));
  if (mount) {
    EXPECT_EQ(RunProgram({"fusermount3", "-u", Mnt()}).exit_code, 0);
    mount->Wait();
    EXPECT_EQ(mount->exit_code(), 0) << Slurp(dir_.Sub("mount.err"));
  }
  server.Kill(SIGTERM);
  server.Wait();
  EXPECT_EQ(server.exit_code(), 0) << Slurp(dir_.Sub("serve.err"));
}

}  // namespace
}  // namespace nokv::testing
