// `nokv serve` and `--server`, as real processes: a server on a data
// directory, CLI commands through its Unix socket, parallel readers, a clean
// stop on SIGTERM and a crash (kill -9) that loses nothing acknowledged.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ready_child.h"
#include "run_nokv.h"
#include "test_dir.h"

namespace nokv::testing {
namespace {

// `nokv serve` on `data_dir`: ready once it printed where it listens.
class ServerProcess : public ChildProcess {
 public:
  explicit ServerProcess(const std::string& data_dir)
      : ChildProcess({NOKV_BINARY, "--data-dir", data_dir, "serve"}, " on unix:") {}
};

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Embedded({"init"}).exit_code, 0);
    socket_ = "unix:" + dir_.Sub("data") + "/nokv.sock";
  }
  RunResult Embedded(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {NOKV_BINARY, "--data-dir", dir_.Sub("data")});
    return RunProgram(args, input);
  }
  RunResult Remote(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {NOKV_BINARY, "--server", socket_});
    return RunProgram(args, input);
  }
  std::string Local(const std::string& name, const std::string& bytes) {
    std::string path = dir_.Sub(name);
    std::ofstream(path) << bytes;
    return path;
  }

  TempDir dir_;
  std::string socket_;
};

TEST_F(ServeTest, CommandsGoThroughTheServerAndSeeEachOther) {
  ServerProcess server(dir_.Sub("data"));
  ASSERT_TRUE(server.ready()) << server.log();

  auto put = Remote({"put", Local("a.txt", "hello through the server\n"), "/docs/a.txt"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto ls = Remote({"ls", "/docs"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(ls.out.find("a.txt"), std::string::npos) << ls.out;
  auto cat = Remote({"cat", "/docs/a.txt"});
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "hello through the server\n");
  EXPECT_EQ(Remote({"mkdir", "/runs"}).exit_code, 0);
  EXPECT_EQ(Remote({"mv", "/docs/a.txt", "/runs/b.txt"}).exit_code, 0);
  EXPECT_EQ(Remote({"cat", "/docs/a.txt"}).exit_code, 3);  // not found
  auto stat = Remote({"--json", "stat", "/runs/b.txt"});
  ASSERT_EQ(stat.exit_code, 0) << stat.err;
  EXPECT_NE(stat.out.find("\"size_bytes\":25"), std::string::npos) << stat.out;
  auto du = Remote({"du", "/"});
  EXPECT_EQ(du.exit_code, 0) << du.err;

  // Eight readers at once, each its own process and connection.
  std::vector<std::future<RunResult>> readers;
  for (int i = 0; i < 8; ++i) {
    readers.push_back(std::async(std::launch::async, [&] {
      return Remote({"cat", "/runs/b.txt"});
    }));
  }
  for (auto& reader : readers) {
    RunResult r = reader.get();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "hello through the server\n");
  }

  EXPECT_EQ(server.Stop(SIGTERM), 0) << server.log();
  // Stopped cleanly: it checkpointed everything (the next open replays no WAL
  // record) and the data directory opens embedded with everything in it.
  bool checkpointed = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.Sub("data") + "/meta")) {
    checkpointed |= entry.path().filename().string().rfind("checkpoint-", 0) == 0;
  }
  EXPECT_TRUE(checkpointed);
  auto after = Embedded({"cat", "/runs/b.txt"});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(after.out, "hello through the server\n");
}

TEST_F(ServeTest, AKilledServerLosesNothingAcknowledged) {
  {
    ServerProcess server(dir_.Sub("data"));
    ASSERT_TRUE(server.ready()) << server.log();
    for (int i = 0; i < 5; ++i) {
      std::string name = "f" + std::to_string(i);
      ASSERT_EQ(Remote({"put", Local(name, name + " body"), "/k/" + name}).exit_code, 0);
    }
    EXPECT_EQ(server.Stop(SIGKILL), 128 + SIGKILL);
  }
  // Nothing answers on the socket now: a clear error, not a hang.
  auto dead = Remote({"ls", "/"});
  EXPECT_NE(dead.exit_code, 0);
  EXPECT_FALSE(dead.err.empty());
  // A new server takes over the directory (the stale socket is replaced).
  ServerProcess again(dir_.Sub("data"));
  ASSERT_TRUE(again.ready()) << again.log();
  for (int i = 0; i < 5; ++i) {
    std::string name = "f" + std::to_string(i);
    auto cat = Remote({"cat", "/k/" + name});
    EXPECT_EQ(cat.exit_code, 0) << cat.err;
    EXPECT_EQ(cat.out, name + " body");
  }
  EXPECT_EQ(again.Stop(SIGINT), 0);
}

TEST_F(ServeTest, CommandsWithoutFlagsFindTheServingHolder) {
  ServerProcess server(dir_.Sub("data"));
  ASSERT_TRUE(server.ready()) << server.log();
  // No --server: the data directory is held, so the command goes through
  // the holder's socket instead of failing with Busy.
  auto put = Embedded({"put", Local("c.txt", "shared"), "/c.txt"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto cat = Embedded({"cat", "/c.txt"});
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "shared");
  // The server sees it at once (it made the commit).
  auto remote = Remote({"ls", "/"});
  EXPECT_NE(remote.out.find("c.txt"), std::string::npos) << remote.out;
  EXPECT_EQ(server.Stop(SIGTERM), 0);
}

// fsck through a running server: the server checks its own metadata and
// store, and a command with no flags reaches it through the holder's socket.
TEST_F(ServeTest, FsckRunsInTheServer) {
  ServerProcess server(dir_.Sub("data"));
  ASSERT_TRUE(server.ready()) << server.log();
  ASSERT_EQ(Remote({"put", Local("f.txt", "checked by the server"), "/f.txt"}).exit_code, 0);
  auto clean = Remote({"--json", "fsck", "--verify"});
  ASSERT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  auto report = nlohmann::json::parse(clean.out);
  EXPECT_TRUE(report["clean"].get<bool>());
  EXPECT_EQ(report["blocks_verified"], 1);
  for (auto& e : std::filesystem::recursive_directory_iterator(dir_.Sub("data") + "/objects")) {
    if (e.is_regular_file() && e.path().string().find("blocks") != std::string::npos) {
      std::filesystem::remove(e.path());
    }
  }
  auto broken = Embedded({"--json", "fsck", "--repair"});
  EXPECT_EQ(broken.exit_code, 6) << broken.out << broken.err;
  report = nlohmann::json::parse(broken.out);
  EXPECT_EQ(report["counts"], nlohmann::json({{"missing_block", 1}})) << broken.out;
  EXPECT_EQ(report["findings"][0]["files"], nlohmann::json({"/f.txt"}));
  EXPECT_FALSE(report["findings"][0]["repaired"].get<bool>());
  EXPECT_EQ(report["remaining"], 1);
  EXPECT_EQ(server.Stop(SIGTERM), 0) << server.log();
}

// The plan and the index problems are computed where the metadata lives:
// the server's grace period, its snapshots, its rows.
TEST_F(ServeTest, GcDryRunAndIndexProblemsComeFromTheServer) {
  ChildProcess server(
      {NOKV_BINARY, "--data-dir", dir_.Sub("data"), "--orphan-grace", "7m", "serve"}, " on unix:");
  ASSERT_TRUE(server.ready()) << server.log();
  ASSERT_EQ(Remote({"put", Local("a.json", R"({"n": "seven"})"), "/d/a.json"}).exit_code, 0);
  ASSERT_EQ(Remote({"put", Local("b.json", "{"), "/d/b.json"}).exit_code, 0);
  ASSERT_EQ(Remote({"snapshot", "create", "s"}).exit_code, 0);
  ASSERT_EQ(Remote({"rm", "/d/b.json"}).exit_code, 0);
  auto plan = Remote({"--json", "gc", "--dry-run"});
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  auto j = nlohmann::json::parse(plan.out);
  EXPECT_EQ(j["orphan_grace_ns"], int64_t{420} * 1'000'000'000) << plan.out;
  EXPECT_EQ(j["pins"][1]["name"], "s") << plan.out;
  EXPECT_EQ(j["pins"][1]["bytes"], 1) << plan.out;

  ASSERT_EQ(Remote({"put", Local("c.json", "[1,"), "/d/c.json"}).exit_code, 0);
  auto add = Remote({"--json", "index", "add", "--id", "d", "--root", "/d", "--glob", "*.json",
                     "--field", "n:number=$.n"});
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  auto problems = nlohmann::json::parse(add.out)["problems"];
  EXPECT_EQ(problems["not_indexed"], 1) << add.out;
  EXPECT_EQ(problems["not_indexed_examples"][0]["path"], "/d/c.json") << add.out;
  EXPECT_EQ(problems["values_skipped"], 1) << add.out;
  EXPECT_EQ(server.Stop(SIGTERM), 0) << server.log();
}

TEST_F(ServeTest, TheScrubJobFindsAFlippedByteAndNamesTheFile) {
  std::string token = Local("token", "scrub-test-token\n");
  std::filesystem::permissions(
      token, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ASSERT_EQ(Embedded({"put", Local("g.txt", "scrubbed in the background"), "/g.txt"}).exit_code, 0);
  // A byte of the stored block flips before the server starts.
  for (auto& e : std::filesystem::recursive_directory_iterator(dir_.Sub("data") + "/objects")) {
    if (!e.is_regular_file() || e.path().string().find("blocks") == std::string::npos) continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    char c = 0;
    f.read(&c, 1);
    f.seekp(0);
    c = static_cast<char>(c ^ 0x20);
    f.write(&c, 1);
  }
  ChildProcess server(
      {NOKV_BINARY, "--data-dir", dir_.Sub("data"), "serve", "--http", "127.0.0.1:0",
       "--token-file", token, "--scrub-interval", "1s", "--scrub-rate", "10M/s"},
      "HTTP on 127.0.0.1:");
  ASSERT_TRUE(server.ready()) << server.log();
  int port = std::stoi(server.log().substr(server.log().rfind(':') + 1));
  httplib::Client http("127.0.0.1", port);
  httplib::Headers bearer = {{"Authorization", "Bearer scrub-test-token"}};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  nlohmann::json scrub;
  while (std::chrono::steady_clock::now() < deadline) {
    auto stats = http.Get("/stats", bearer);
    ASSERT_TRUE(stats);
    scrub = nlohmann::json::parse(stats->body)["maintenance"]["scrub"];
    if (scrub["runs"].get<uint64_t>() > 0) break;
  }
  EXPECT_GE(scrub["runs"].get<uint64_t>(), 1u) << scrub;
  EXPECT_EQ(scrub["failures"], 0) << scrub;
  EXPECT_EQ(scrub["findings"], 1) << scrub;
  EXPECT_EQ(scrub["blocks_verified"], 0) << scrub;
  EXPECT_EQ(server.Stop(SIGTERM), 0);
}

TEST_F(ServeTest, AHolderThatDoesNotServeIsWaitedForThenNamed) {
  // Another process holds the engine lock and serves nothing.
  ChildProcess holder({"flock", "-x", "-o", dir_.Sub("data") + "/meta/LOCK", "sh", "-c",
                       "echo locked; exec sleep 60 </dev/null >/dev/null 2>&1"},
                      "locked", /*watch_stdout=*/true);
  ASSERT_TRUE(holder.ready()) << holder.log();
  auto waited = Embedded({"--wait", "1s", "ls", "/"});
  EXPECT_EQ(waited.exit_code, 5) << waited.err;
  EXPECT_NE(waited.err.find("waiting for"), std::string::npos) << waited.err;
  EXPECT_NE(waited.err.find("gave up waiting"), std::string::npos) << waited.err;
  auto now = Embedded({"--no-wait", "ls", "/"});
  EXPECT_EQ(now.exit_code, 5) << now.err;
  EXPECT_EQ(now.err.find("waiting for"), std::string::npos) << now.err;
  holder.Stop(SIGKILL);
  EXPECT_EQ(Embedded({"--no-wait", "ls", "/"}).exit_code, 0);
}

TEST_F(ServeTest, HttpProbesAndMetricsBesideTheSocket) {
  ChildProcess server(
      {NOKV_BINARY, "--data-dir", dir_.Sub("data"), "serve", "--http", "127.0.0.1:0"},
      "HTTP on 127.0.0.1:");
  ASSERT_TRUE(server.ready()) << server.log();
  int port = std::stoi(server.log().substr(server.log().rfind(':') + 1));
  ASSERT_EQ(Remote({"mkdir", "/m"}).exit_code, 0);
  httplib::Client http("127.0.0.1", port);
  auto health = http.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("nokv_rpc_requests_total{method=\"meta.mkdir\",outcome=\"ok\"} 1"),
            std::string::npos)
      << metrics->body;
  EXPECT_EQ(http.Post("/gc")->status, 401);  // no token configured: maintenance is closed
  EXPECT_EQ(server.Stop(SIGTERM), 0);
}

TEST_F(ServeTest, MaintenanceFlagsSetRetentionAndTurnTheWorkerOff) {
  std::string token = Local("token", "maintenance-test-token\n");
  std::filesystem::permissions(
      token, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ChildProcess server(
      {NOKV_BINARY, "--data-dir", dir_.Sub("data"), "serve", "--http", "127.0.0.1:0",
       "--token-file", token, "--no-maintenance", "--watch-retention-events", "2"},
      "HTTP on 127.0.0.1:");
  ASSERT_TRUE(server.ready()) << server.log();
  int port = std::stoi(server.log().substr(server.log().rfind(':') + 1));
  for (const char* dir : {"/a", "/b", "/c", "/d", "/e"}) {
    ASSERT_EQ(Remote({"mkdir", dir}).exit_code, 0);
  }
  httplib::Client http("127.0.0.1", port);
  httplib::Headers bearer = {{"Authorization", "Bearer maintenance-test-token"}};
  auto gc = http.Post("/gc", bearer, "", "text/plain");
  ASSERT_TRUE(gc);
  ASSERT_EQ(gc->status, 200) << gc->body;
  EXPECT_GE(nlohmann::json::parse(gc->body)["events_pruned"].get<uint64_t>(), 3u) << gc->body;
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("nokv_maintenance_runs_total{job=\"gc\"} 0\n"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("nokv_object_store_requests_total{op=\"list\"}"), std::string::npos);
  EXPECT_EQ(metrics->body.find("maintenance-test-token"), std::string::npos);
  EXPECT_EQ(server.Stop(SIGTERM), 0);
}

TEST_F(ServeTest, BackupsRunThroughTheServerAndOnItsInterval) {
  std::string token = Local("token", "backup-test-token\n");
  std::filesystem::permissions(
      token, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ChildProcess server({NOKV_BINARY, "--data-dir", dir_.Sub("data"), "serve", "--http",
                       "127.0.0.1:0", "--token-file", token, "--backup-interval", "1s",
                       "--backup-keep", "2", "--backup-to", dir_.Sub("backups")},
                      "HTTP on 127.0.0.1:");
  ASSERT_TRUE(server.ready()) << server.log();
  int port = std::stoi(server.log().substr(server.log().rfind(':') + 1));
  ASSERT_EQ(Remote({"put", "-", "/f"}, "bytes").exit_code, 0);
  // One on demand, through the server, into the data directory's store.
  auto backup = Remote({"--json", "backup"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_EQ(nlohmann::json::parse(backup.out)["backup"]["namespace"]["files"], 1);
  auto own = Remote({"--json", "backup", "ls"});
  ASSERT_EQ(own.exit_code, 0) << own.err;
  EXPECT_EQ(nlohmann::json::parse(own.out).size(), 1u);
  // The periodic job: its runs show in /stats; it keeps at most two images.
  httplib::Client http("127.0.0.1", port);
  httplib::Headers bearer = {{"Authorization", "Bearer backup-test-token"}};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  uint64_t runs = 0;
  while (runs < 3 && std::chrono::steady_clock::now() < deadline) {
    auto stats = http.Get("/stats", bearer);
    ASSERT_TRUE(stats);
    auto j = nlohmann::json::parse(stats->body);
    runs = j["maintenance"]["backup"]["runs"].get<uint64_t>();
    EXPECT_EQ(j["maintenance"]["backup"]["failures"], 0) << stats->body;
  }
  ASSERT_GE(runs, 3u);
  auto periodic = Remote({"--json", "backup", "ls", "--from", dir_.Sub("backups")});
  ASSERT_EQ(periodic.exit_code, 0) << periodic.err;
  EXPECT_EQ(nlohmann::json::parse(periodic.out).size(), 2u) << periodic.out;
  EXPECT_EQ(server.Stop(SIGTERM), 0);
}

TEST_F(ServeTest, ServeRefusesBadSetups) {
  // A maintenance interval that is not a duration is a usage error.
  auto interval = Embedded({"serve", "--gc-interval", "soon"});
  EXPECT_EQ(interval.exit_code, 2) << interval.err;
  EXPECT_NE(interval.err.find("soon"), std::string::npos) << interval.err;
  // A TCP listener off loopback without a token is refused before serving.
  auto open = Embedded({"serve", "--listen", "0.0.0.0:0"});
  EXPECT_NE(open.exit_code, 0);
  EXPECT_NE(open.err.find("token"), std::string::npos) << open.err;
  // A client pointed at nothing says so.
  auto nothing = RunProgram({NOKV_BINARY, "--server", "unix:" + dir_.Sub("none.sock"), "ls", "/"});
  EXPECT_NE(nothing.exit_code, 0);
  EXPECT_NE(nothing.err.find("none.sock"), std::string::npos) << nothing.err;
}

// `nokv dump` and `nokv load --server`: the dump reads one pinned generation
// through the server and the load publishes over the blocks already there.
TEST_F(ServeTest, DumpAndLoadGoThroughTheServer) {
  ServerProcess server(dir_.Sub("data"));
  ASSERT_TRUE(server.ready()) << server.log();
  ASSERT_EQ(Remote({"put", Local("a.txt", "dumped through the server\n"), "/src/a.txt"}).exit_code,
            0);
  ASSERT_EQ(Remote({"ln", "/src/a.txt", "/src/b.txt"}).exit_code, 0);
  auto dump = Remote({"dump", "/src"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  auto load = Remote({"load", "-", "--into", "/copy"}, dump.out);
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_EQ(Remote({"cat", "/copy/b.txt"}).out, "dumped through the server\n");
  auto stat = Remote({"--json", "stat", "/copy/a.txt"});
  EXPECT_NE(stat.out.find("\"nlink\":2"), std::string::npos) << stat.out;
  auto again = Remote({"load", "-", "--into", "/copy"}, dump.out);
  EXPECT_EQ(again.exit_code, 4) << again.err;
}

}  // namespace
}  // namespace nokv::testing
