// End-to-end tests of the `nokv` binary: byte round trips compared by
// SHA-256, trees, replace and compare-and-swap, snapshots, watch, --json
// shapes (golden files), error messages and exit codes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>

#include "common/sha256.h"
#include "fs/embedded.h"
#include "meta/codec.h"
#include "meta/meta_service.h"
#include "object/block.h"
#include "run_nokv.h"
#include "test_dir.h"

namespace nokv {
namespace {

namespace stdfs = std::filesystem;
using testing::RunResult;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(Nokv({"init"}).exit_code, 0); }

  RunResult Nokv(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {NOKV_BINARY, "--data-dir", data_.path()});
    return testing::RunProgram(args, input, work_.path());
  }

  std::string WriteLocal(const std::string& name, const std::string& bytes) {
    return testing::WriteLocalFile(work_.Sub(name), bytes);
  }
  static std::string Random(size_t n, uint32_t seed) { return testing::RandomBytes(n, seed); }

  // The JSON output with wall-clock and per-run fields zeroed.
  static nlohmann::json Stable(const std::string& text) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    std::function<void(nlohmann::json&)> scrub = [&](nlohmann::json& v) {
      if (v.is_object()) {
        for (auto& [k, x] : v.items()) {
          if (k.ends_with("_ns") || k == "mtime" || k == "ctime" || k == "time" || k == "created" ||
              k == "expires")
            x = 0;
          else
            scrub(x);
        }
      } else if (v.is_array()) {
        for (auto& x : v) scrub(x);
      }
    };
    scrub(j);
    return j;
  }

  void ExpectGolden(const std::string& name, const std::string& output) {
    std::string path = std::string(NOKV_GOLDEN_DIR) + "/" + name + ".json";
    nlohmann::json got = Stable(output);
    ASSERT_FALSE(got.is_discarded()) << output;
    if (std::getenv("NOKV_UPDATE_GOLDEN")) std::ofstream(path) << got.dump(2) << "\n";
    std::ifstream in(path);
    ASSERT_TRUE(in) << "missing golden file " << path << " (NOKV_UPDATE_GOLDEN=1 writes it)";
    nlohmann::json want = nlohmann::json::parse(in, nullptr, false);
    EXPECT_EQ(got, want) << "golden " << name;
  }

  nokv::testing::TempDir data_;
  nokv::testing::TempDir work_;
};

TEST_F(CliTest, PutCatRoundTripsBySha256) {
  const size_t kBlock = 4 << 20;
  for (size_t size : {size_t{0}, size_t{1}, kBlock - 1, kBlock, kBlock + 1, 2 * kBlock + 12345}) {
    SCOPED_TRACE("size " + std::to_string(size));
    std::string bytes = Random(size, static_cast<uint32_t>(size));
    std::string local = WriteLocal("f" + std::to_string(size), bytes);
    std::string remote = "/rt/f" + std::to_string(size);
    auto put = Nokv({"put", local, remote});
    ASSERT_EQ(put.exit_code, 0) << put.err;
    auto cat = Nokv({"cat", remote});
    ASSERT_EQ(cat.exit_code, 0) << cat.err;
    EXPECT_EQ(DigestHex(Sha256::Of(cat.out)), DigestHex(Sha256::Of(bytes)));
  }
  auto range = Nokv({"cat", "--range", "3:4", "/rt/f4194305"});
  EXPECT_EQ(range.out, Random(4194305, 4194305).substr(3, 4));
}

TEST_F(CliTest, StdinPutAndStreamingCatOfAGigabyteFile) {
  // 1 GiB, mostly zeros with random islands: exercises many blocks, dedupe
  // and streaming without filling the disk.
  std::string local = work_.Sub("big.bin");
  {
    std::ofstream f(local, std::ios::binary);
    f.seekp((int64_t{1} << 30) - 1);
    f.put('\x7f');
  }
  {
    std::fstream f(local, std::ios::in | std::ios::out | std::ios::binary);
    for (int i = 0; i < 16; ++i) {
      f.seekp(int64_t{i} * (64 << 20) + 12345);
      std::string island = Random(100000, static_cast<uint32_t>(i));
      f.write(island.data(), static_cast<std::streamsize>(island.size()));
    }
  }
  Sha256 want;
  {
    std::ifstream in(local, std::ios::binary);
    std::string buf(1 << 20, '\0');
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
      want.Update(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
    }
  }
  ASSERT_EQ(Nokv({"put", local, "/big.bin"}).exit_code, 0);
  auto stat = Nokv({"--json", "stat", "/big.bin"});
  EXPECT_EQ(nlohmann::json::parse(stat.out)["size_bytes"], int64_t{1} << 30);
  auto cat = Nokv({"cat", "/big.bin"});
  ASSERT_EQ(cat.exit_code, 0);
  EXPECT_EQ(DigestHex(Sha256::Of(cat.out)), DigestHex(want.Finish()));

  auto piped = Nokv({"put", "-", "/from-stdin"}, "piped bytes");
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(Nokv({"cat", "/from-stdin"}).out, "piped bytes");
}

TEST_F(CliTest, RecursivePutAndGetOfATree) {
  WriteLocal("tree/a.txt", "alpha");
  WriteLocal("tree/sub/b.json", "{\"b\": 1}");
  WriteLocal("tree/sub/deeper/c.bin", Random(5 << 20, 3));
  auto put = Nokv({"put", work_.Sub("tree"), "/ckpt"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto ls = Nokv({"ls", "-R", "/ckpt"});
  EXPECT_NE(ls.out.find("deeper/"), std::string::npos) << ls.out;
  auto get = Nokv({"get", "/ckpt", work_.Sub("back")});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  for (const char* rel : {"a.txt", "sub/b.json", "sub/deeper/c.bin"}) {
    std::ifstream a(work_.Sub(std::string("tree/") + rel), std::ios::binary);
    std::ifstream b(work_.Sub(std::string("back/") + rel), std::ios::binary);
    std::string sa((std::istreambuf_iterator<char>(a)), {});
    std::string sb((std::istreambuf_iterator<char>(b)), {});
    EXPECT_EQ(sa, sb) << rel;
  }
}

// `index add` tells people what the rule indexed: its state and, per field,
// how many rows hold a value (a field its expression missed shows fewer).
TEST_F(CliTest, IndexAddReportsRowsPerField) {
  ASSERT_EQ(Nokv({"put", WriteLocal("a.json", R"({"status": "done", "epochs": 3})"),
                  "/runs/a/metadata.json"})
                .exit_code,
            0);
  ASSERT_EQ(Nokv({"put", WriteLocal("b.json", R"({"status": "failed"})"), "/runs/b/metadata.json"})
                .exit_code,
            0);
  ASSERT_EQ(Nokv({"put", "-", "/runs/c/metadata.json"}, "{\"status\": ").exit_code, 0);
  ASSERT_EQ(
      Nokv({"put", "-", "/runs/d/metadata.json"}, R"({"status": "ok", "epochs": "ten"})").exit_code,
      0);
  RunResult r = Nokv({"index", "add", "--id", "run", "--root", "/runs", "--glob", "*/metadata.json",
                      "--target", "parent", "--field", "run.status=$.status", "--field",
                      "run.epochs:number=$.epochs"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "") << "problems are reported to people, not logged";
  // Why rows are missing: the file that did not parse, the value of the wrong type.
  EXPECT_NE(r.out.find("  1 file not indexed (unreadable, too large or malformed):\n"
                       "    /runs/c: metadata.json: "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  1 file indexed with values skipped (missing or of the wrong type):\n"
                       "    /runs/d: field 'run.epochs', item 0: \"ten\" is not a number\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(
      r.out.find("index run: ready (/runs, */metadata.json, rows are the parent directories)"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  run.status\tstring\t3 rows\n"), std::string::npos) << r.out;
  RunResult listed = Nokv({"index", "ls"});
  EXPECT_NE(listed.out.find("\trun.epochs:number=$.epochs\n"
                            "  1 file not indexed (unreadable, too large or malformed):\n"),
            std::string::npos)
      << listed.out;
  EXPECT_NE(r.out.find("  run.epochs\tnumber\t1 rows\n"), std::string::npos) << r.out;
  RunResult json = Nokv({"--json", "index", "add", "--id", "other", "--root", "/runs", "--glob",
                         "*/metadata.json", "--field", "x=$.status"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto added = nlohmann::json::parse(json.out);
  EXPECT_EQ(added["id"], "other");
  EXPECT_EQ(added["problems"]["not_indexed"], 1);
  EXPECT_EQ(added["problems"]["not_indexed_examples"][0]["path"], "/runs/c/metadata.json");
  EXPECT_EQ(added["problems"]["values_skipped"], 0);
}

// find, grep, catalog, aggregate and read run the MCP verbs: their flags
// are the verbs' arguments; people get every page, --json one.
TEST_F(CliTest, TheAgentVerbsAreCommands) {
  for (int i = 0; i < 30; ++i) {
    std::string run = "/runs/r" + std::to_string(i);
    std::string status = i % 3 == 0 ? "failed" : "done";
    ASSERT_EQ(Nokv({"put", "-", run + "/metadata.json"},
                   R"({"status": ")" + status + R"(", "epochs": )" + std::to_string(i) + "}")
                  .exit_code,
              0);
    ASSERT_EQ(Nokv({"put", "-", run + "/stdout.log"}, "start\nloss " + std::to_string(i) + "\n")
                  .exit_code,
              0);
  }
  ASSERT_EQ(Nokv({"index", "add", "--id", "runs", "--root", "/runs", "--glob", "*/metadata.json",
                  "--target", "parent", "--field", "run.status=$.status", "--field",
                  "run.epochs:number=$.epochs"})
                .exit_code,
            0);
  RunResult catalog = Nokv({"catalog", "/runs"});
  ASSERT_EQ(catalog.exit_code, 0) << catalog.err;
  EXPECT_NE(catalog.out.find("run.epochs\tnumber\t30 rows\n"), std::string::npos) << catalog.out;

  RunResult found =
      Nokv({"find", "/runs", "--predicates", R"({"field":"run.status","op":"eq","value":"failed"})",
            "--sort", R"({"field":"run.epochs","order":"desc"})", "--fields", "run.epochs"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  EXPECT_EQ(found.out.substr(0, found.out.find('\n')), "/runs/r27\trun.epochs=27");
  EXPECT_EQ(std::count(found.out.begin(), found.out.end(), '\n'), 10) << found.out;

  // Every page for people (1 KiB pages hold a few matches each), one with --json.
  RunResult grep = Nokv({"grep", "loss", "/runs", "--limit-per-page-is-not-a-flag"});
  EXPECT_EQ(grep.exit_code, 2) << "flags come from the schema, and nothing else";
  auto small = nlohmann::json::parse(
      Nokv({"--json", "grep", "loss", "/runs", "--max-result-bytes", "1024"}).out);
  ASSERT_LT(small["matches"].size(), 30u) << "the page is smaller than the answer";
  grep = Nokv({"grep", "loss", "/runs", "--max-result-bytes", "1024"});
  ASSERT_EQ(grep.exit_code, 0) << grep.err;
  EXPECT_EQ(std::count(grep.out.begin(), grep.out.end(), '\n'), 30) << grep.out;
  EXPECT_NE(grep.out.find("/runs/r7/stdout.log:2:loss 7\n"), std::string::npos) << grep.out;
  auto page = nlohmann::json::parse(Nokv({"--json", "grep", "loss", "/runs", "--limit", "5"}).out);
  EXPECT_EQ(page["matches"].size(), 5u);
  ASSERT_TRUE(page.contains("next_cursor"));
  auto next = nlohmann::json::parse(Nokv({"--json", "grep", "loss", "/runs", "--limit", "5",
                                          "--cursor", page["next_cursor"].get<std::string>()})
                                        .out);
  EXPECT_NE(next["matches"][0], page["matches"][0]);

  RunResult groups =
      Nokv({"aggregate", "/runs", "--group-by", "run.status", "--measures", R"({"op":"count"})"});
  ASSERT_EQ(groups.exit_code, 0) << groups.err;
  EXPECT_NE(groups.out.find("run.status=done\tcount=20\n"), std::string::npos) << groups.out;
  EXPECT_NE(groups.out.find("run.status=failed\tcount=10\n"), std::string::npos) << groups.out;

  // stat shows what MCP's stat shows: body, records, indexed values, evidence.
  RunResult stat = Nokv({"stat", "/runs/r3/metadata.json"});
  ASSERT_EQ(stat.exit_code, 0) << stat.err;
  EXPECT_NE(stat.out.find("\ndigest:     sha256:"), std::string::npos) << stat.out;
  EXPECT_NE(stat.out.find("\ntype:       application/json\n"), std::string::npos) << stat.out;
  EXPECT_NE(stat.out.find("\nrecords:    json_object, 1 (fields: epochs status)\n"),
            std::string::npos)
      << stat.out;
  EXPECT_NE(stat.out.find("\nindexed:    run.epochs=3 run.status=failed\n"), std::string::npos)
      << stat.out;
  auto card = nlohmann::json::parse(Nokv({"--json", "stat", "/runs/r3/metadata.json"}).out);
  EXPECT_EQ(card["indexed_values"]["row"], "/runs/r3");
  EXPECT_EQ(card["record_count"], 1);
  EXPECT_EQ(Nokv({"read", "/runs/r3/metadata.json"}).out, "{\"epochs\":3,\"status\":\"failed\"}\n");
  EXPECT_EQ(Nokv({"read", "/runs/r3/stdout.log", "--tail", "1"}).out, "loss 3\n");
  // Errors keep the CLI's exit codes.
  EXPECT_EQ(Nokv({"read", "/runs/none"}).exit_code, 3);
  EXPECT_EQ(Nokv({"grep"}).exit_code, 2);
  EXPECT_EQ(Nokv({"find", "/runs", "--predicates", "{not json"}).exit_code, 2);
}

TEST_F(CliTest, DiffSaysWhatChangedSinceASnapshot) {
  for (const char* path : {"/w/keep", "/w/gone", "/w/changed", "/w/sub/inner"}) {
    ASSERT_EQ(Nokv({"put", "-", path}, path).exit_code, 0);
  }
  ASSERT_EQ(Nokv({"snapshot", "create", "before", "--root", "/w"}).exit_code, 0);
  ASSERT_EQ(Nokv({"rm", "/w/gone"}).exit_code, 0);
  ASSERT_EQ(Nokv({"put", "--replace", "-", "/w/changed"}, "new").exit_code, 0);
  ASSERT_EQ(Nokv({"put", "-", "/w/sub/added"}, "a").exit_code, 0);
  ASSERT_EQ(Nokv({"rm", "-r", "/w/sub/inner"}).exit_code, 0);
  ASSERT_EQ(Nokv({"mkdir", "-p", "/w/newdir/x"}).exit_code, 0);
  RunResult diff = Nokv({"diff", "before"});
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  std::string changed_line = diff.out.substr(0, diff.out.find('\n'));
  EXPECT_TRUE(changed_line.starts_with("M\t/w/changed\t(generation ")) << diff.out;
  EXPECT_EQ(diff.out.substr(diff.out.find('\n') + 1),
            "D\t/w/gone\nA\t/w/newdir\nA\t/w/sub/added\nD\t/w/sub/inner\n")
      << "the unchanged /w/keep is not named; a new directory is one line";
  auto json = nlohmann::json::parse(Nokv({"--json", "diff", "before", "/w/sub"}).out);
  ASSERT_EQ(json["changes"].size(), 2u);
  EXPECT_EQ(json["changes"][0]["change"], "added");
  EXPECT_EQ(json["changes"][1]["path"], "/w/sub/inner");
  EXPECT_EQ(Nokv({"diff", "nope"}).exit_code, 3);
  EXPECT_EQ(Nokv({"diff", "before", "/elsewhere"}).exit_code, 3) << "outside the snapshot's root";
}

// The WAL, checkpoints and local blocks are no other user's business.
TEST_F(CliTest, InitMakesAPrivateDataDirectoryButKeepsAnExistingOnesMode) {
  std::string fresh = work_.Sub("fresh/nested/data");
  ASSERT_EQ(testing::RunProgram({NOKV_BINARY, "--data-dir", fresh, "init"}).exit_code, 0);
  struct stat st {};
  ASSERT_EQ(::stat(fresh.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  std::string shared = work_.Sub("shared");
  ASSERT_EQ(::mkdir(shared.c_str(), 0750), 0);
  ::chmod(shared.c_str(), 0750);  // whatever the umask
  ASSERT_EQ(testing::RunProgram({NOKV_BINARY, "--data-dir", shared, "init"}).exit_code, 0);
  ASSERT_EQ(::stat(shared.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u) << "an existing directory is the owner's choice";
}

TEST_F(CliTest, GcDryRunSaysWhatWouldBeFreedAndWhatEachSnapshotKeeps) {
  ASSERT_EQ(Nokv({"put", "-", "/kept/a"}, std::string(1000, 'k')).exit_code, 0);
  ASSERT_EQ(Nokv({"put", "-", "/gone/b"}, std::string(300, 'g')).exit_code, 0);
  ASSERT_EQ(Nokv({"snapshot", "create", "before", "--root", "/kept"}).exit_code, 0);
  ASSERT_EQ(Nokv({"rm", "-r", "/kept", "/gone"}).exit_code, 0);
  std::string listing = Nokv({"--json", "snapshot", "ls"}).out;
  uint64_t seq = nlohmann::json::parse(listing)[0]["seq"];

  RunResult plan = Nokv({"gc", "--dry-run"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("would free 300 B: 1 unreferenced block (300 B) and 0 orphaned uploads"),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("kept by snapshot before (sequence " + std::to_string(seq) +
                          "): 1 block, 1000 B\n"),
            std::string::npos)
      << plan.out;
  auto json = nlohmann::json::parse(Nokv({"--json", "gc", "--dry-run"}).out);
  EXPECT_EQ(json["bytes_freed"], 300);
  EXPECT_EQ(json["dry_run"], true);

  // Nothing went; the run that follows frees what the plan said.
  EXPECT_EQ(nlohmann::json::parse(Nokv({"--json", "gc"}).out)["blocks_deleted"], 1);
  ASSERT_EQ(Nokv({"snapshot", "rm", "before"}).exit_code, 0);
  RunResult after = Nokv({"gc", "--dry-run"});
  EXPECT_NE(after.out.find("would free 1000 B: 1 unreferenced block (1000 B)"), std::string::npos)
      << after.out;
}

TEST_F(CliTest, ReplaceAndCompareAndSwapHaveTheirExitCodes) {
  std::string v1 = WriteLocal("v1", "one"), v2 = WriteLocal("v2", "two");
  ASSERT_EQ(Nokv({"put", v1, "/f"}).exit_code, 0);
  auto conflict = Nokv({"put", v2, "/f"});
  EXPECT_EQ(conflict.exit_code, 4);
  EXPECT_EQ(conflict.err, "nokv: put /f: /f already exists (use --replace)\n");
  ASSERT_EQ(Nokv({"put", "--replace", v2, "/f"}).exit_code, 0);
  uint64_t gen = nlohmann::json::parse(Nokv({"--json", "stat", "/f"}).out)["generation"];
  auto stale = Nokv({"put", "--if-generation", std::to_string(gen - 1), v1, "/f"});
  EXPECT_EQ(stale.exit_code, 4);
  EXPECT_NE(stale.err.find("generation"), std::string::npos) << stale.err;
  EXPECT_EQ(Nokv({"put", "--if-generation", std::to_string(gen), v1, "/f"}).exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "/f"}).out, "one");
}

TEST_F(CliTest, SnapshotThenModifyThenReadTheSnapshot) {
  ASSERT_EQ(Nokv({"put", "-", "/data/x"}, "before").exit_code, 0);
  ASSERT_EQ(Nokv({"snapshot", "create", "s1", "--root", "/data"}).exit_code, 0);
  ASSERT_EQ(Nokv({"put", "--replace", "-", "/data/x"}, "after").exit_code, 0);
  ASSERT_EQ(Nokv({"rm", "/data/x"}).exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "--snapshot", "s1", "/data/x"}).out, "before");
  EXPECT_EQ(Nokv({"cat", "/data/x"}).exit_code, 3);
  auto list = Nokv({"--json", "snapshot", "ls"});
  EXPECT_EQ(nlohmann::json::parse(list.out)[0]["name"], "s1");
  ASSERT_EQ(Nokv({"snapshot", "rm", "s1"}).exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "--snapshot", "s1", "/data/x"}).exit_code, 3);
}

TEST_F(CliTest, WatchPrintsTypedEventsAndResumesFromACursor) {
  ASSERT_EQ(Nokv({"mkdir", "-p", "/w/a"}).exit_code, 0);
  ASSERT_EQ(Nokv({"put", "-", "/w/a/f"}, "x").exit_code, 0);
  ASSERT_EQ(Nokv({"mv", "/w/a/f", "/w/g"}).exit_code, 0);
  auto watch = Nokv({"watch", "/w"});
  ASSERT_EQ(watch.exit_code, 0);
  // mkdir -p reports the deepest directory, counting the parent it made.
  EXPECT_NE(watch.out.find("\tmkdir\t/w/a (2 entries)\n"), std::string::npos) << watch.out;
  EXPECT_NE(watch.out.find("\tpublish\t/w/a/f\n"), std::string::npos);
  EXPECT_NE(watch.out.find("\trename\t/w/g <- /w/a/f\n"), std::string::npos);
  auto json = Nokv({"--json", "watch", "/w"});
  std::vector<nlohmann::json> events;
  std::istringstream lines(json.out);
  for (std::string line; std::getline(lines, line);) events.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["count"], 2);
  EXPECT_FALSE(events[1].contains("count"));
  auto resumed = Nokv({"--json", "watch", "/w", "--from", events[1]["cursor"]});
  EXPECT_EQ(Stable(resumed.out), Stable(events[2].dump()));
  // rm -r is one event for the tree, delivered to a watcher below it too.
  ASSERT_EQ(Nokv({"rm", "-r", "/w"}).exit_code, 0);
  auto removed = Nokv({"watch", "/w/a", "--from", events[2]["cursor"]});
  EXPECT_EQ(removed.out.substr(removed.out.find('\t')), "\tremove\t/w (3 entries)\n")
      << removed.out;
}

TEST_F(CliTest, JsonShapesMatchTheGoldenFiles) {
  ASSERT_EQ(Nokv({"mkdir", "/g"}).exit_code, 0);
  ASSERT_EQ(Nokv({"put", "-", "/g/file.json"}, "{\"k\": 1}").exit_code, 0);
  ASSERT_EQ(Nokv({"ln", "-s", "/g/file.json", "/g/link"}).exit_code, 0);
  ExpectGolden("ls", Nokv({"--json", "ls", "/g"}).out);
  ExpectGolden("stat", Nokv({"--json", "stat", "/g/file.json"}).out);
  ExpectGolden("du", Nokv({"--json", "du", "/g"}).out);
  ExpectGolden("gc", Nokv({"--json", "gc"}).out);
  ExpectGolden("gc_dry_run", Nokv({"--json", "gc", "--dry-run"}).out);
  ASSERT_EQ(Nokv({"put", "-", "/g/sub/deep.txt"}, "deep").exit_code, 0);
  // ls and ls -R have one shape; -R adds the deeper entries after their directory.
  ExpectGolden("ls_recursive", Nokv({"--json", "ls", "-R", "/g"}).out);
  ExpectGolden("ls_file", Nokv({"--json", "ls", "/g/file.json"}).out);
  ExpectGolden("error", Nokv({"--json", "put", "-", "/g/file.json"}, "again").out);
  ExpectGolden("usage_error", Nokv({"--json", "ls", "--bogus"}).out);
  ExpectGolden("rm", Nokv({"--json", "rm", "-rf", "/g/sub", "/g/none"}).out);
  ExpectGolden("mv", Nokv({"--json", "mv", "/g/link", "/g/link2"}).out);
}

// Every command prints one JSON document under --json, errors included, with
// the exit code unchanged and nothing on stderr; times are RFC 3339 strings
// (milliseconds, as the MCP verbs print them) with exact nanoseconds as strings.
TEST_F(CliTest, JsonEverywhereErrorsIncluded) {
  auto missing = Nokv({"--json", "cat", "/nope"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_EQ(missing.err, "");
  EXPECT_EQ(nlohmann::json::parse(missing.out, nullptr, false),
            nlohmann::json::parse(
                R"({"error":{"code":"not_found","message":"cat /nope: /nope does not exist"}})"));
  auto env_json = testing::RunProgram(
      {"env", "NOKV_JSON=1", NOKV_BINARY, "--data-dir", data_.path(), "frobnicate"});
  EXPECT_EQ(env_json.exit_code, 2);
  EXPECT_EQ(nlohmann::json::parse(env_json.out, nullptr, false)["error"]["code"], "usage")
      << env_json.out;
  ASSERT_EQ(Nokv({"put", "-", "/t/f"}, "12345").exit_code, 0);
  auto stat = nlohmann::json::parse(Nokv({"--json", "stat", "/t/f"}).out, nullptr, false);
  std::string mtime = stat["mtime"];
  EXPECT_TRUE(std::regex_match(mtime, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << mtime;
  std::string mtime_ns = stat["mtime_ns"];
  EXPECT_EQ(mtime_ns.size(), 19u) << mtime_ns;
  EXPECT_EQ(stat["name"], "f");
  auto both = nlohmann::json::parse(Nokv({"--json", "stat", "/t/f", "/t"}).out, nullptr, false);
  ASSERT_TRUE(both.is_array());
  EXPECT_EQ(both[1]["entry_count"], 1);
  auto snap = Nokv({"--json", "snapshot", "create", "s", "--expires", "1d"});
  auto snapshot = nlohmann::json::parse(snap.out, nullptr, false);
  EXPECT_TRUE(snapshot["created"].is_string()) << snap.out;
  EXPECT_TRUE(snapshot["expires"].is_string()) << snap.out;
  EXPECT_EQ(nlohmann::json::parse(Nokv({"--json", "snapshot", "rm", "s"}).out, nullptr, false),
            nlohmann::json::parse(R"({"retired":"s"})"));
  auto watch = Nokv({"--json", "watch", "/t"});
  std::string first_line = watch.out.substr(0, watch.out.find('\n'));
  EXPECT_TRUE(nlohmann::json::parse(first_line, nullptr, false)["time"].is_string()) << watch.out;
  // get to stdout streams the bytes; a tree cannot go there.
  auto to_stdout = Nokv({"get", "/t/f", "-"});
  EXPECT_EQ(to_stdout.out, "12345") << to_stdout.err;
  EXPECT_EQ(Nokv({"get", "/t", "-"}).exit_code, 1);
  auto got = nlohmann::json::parse(Nokv({"--json", "get", "/t", work_.Sub("copy")}).out);
  EXPECT_EQ(got["files"], 1);
  EXPECT_EQ(got["published"][0]["path"], "/t/f");
  EXPECT_EQ(got["published"][0]["local"], work_.Sub("copy/f"));
  EXPECT_EQ(got["published"][0]["size_bytes"], 5);
  auto one = nlohmann::json::parse(Nokv({"--json", "get", "/t/f", work_.Sub("one")}).out);
  EXPECT_EQ(one["files"][0]["local"], work_.Sub("one"));
}

// Names are bytes: --json prints each byte of invalid UTF-8, and each byte of a
// literal U+F780..U+F7FF, as U+F700+byte; path arguments take that form back, and
// raw bytes in argv still work (docs/cli.md, "Names that are not UTF-8").
TEST_F(CliTest, NamesThatAreNotUtf8RoundTripThroughJson) {
  const std::string invalid = "bad\xff\xfe";                          // raw bytes
  const std::string invalid_printed = "bad\xEF\x9F\xBF\xEF\x9F\xBE";  // U+F7FF U+F7FE
  const std::string literal = "pua\xEF\x9F\xBF";                      // literal U+F7FF
  const std::string literal_printed = "pua\xEF\x9F\xAF\xEF\x9E\x9F\xEF\x9E\xBF";
  const std::string cafe = "caf\xC3\xA9";
  ASSERT_EQ(Nokv({"put", "-", "/odd/" + invalid}, "1").exit_code, 0);
  // A literal U+F7FF in argv is the escape of byte 0xff, so that name is made
  // from its printed form.
  ASSERT_EQ(Nokv({"put", "-", "/odd/" + literal_printed}, "22").exit_code, 0);
  ASSERT_EQ(Nokv({"put", "-", "/odd/" + cafe}, "333").exit_code, 0);

  auto ls = Nokv({"--json", "ls", "/odd"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  nlohmann::json listing = nlohmann::json::parse(ls.out);  // throws on invalid UTF-8
  std::vector<std::string> names;
  for (const auto& e : listing["entries"]) names.push_back(e["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{invalid_printed, cafe, literal_printed}));

  const std::vector<std::pair<std::string, uint64_t>> by_printed = {
      {invalid_printed, 1}, {literal_printed, 2}, {cafe, 3}};
  for (const auto& [name, size] : by_printed) {
    auto st = Nokv({"--json", "stat", "/odd/" + name});
    ASSERT_EQ(st.exit_code, 0) << name << ": " << st.err;
    nlohmann::json j = nlohmann::json::parse(st.out);
    EXPECT_EQ(j["path"], "/odd/" + name);
    EXPECT_EQ(j["size_bytes"], size);
  }
  // The decoded form: raw bytes in argv name the same file.
  auto raw = Nokv({"--json", "stat", "/odd/" + invalid});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(nlohmann::json::parse(raw.out)["path"], "/odd/" + invalid_printed);
  EXPECT_EQ(Nokv({"cat", "/odd/" + invalid}).out, "1");
  EXPECT_EQ(Nokv({"cat", "/odd/" + literal_printed}).out, "22");
  // Human-readable output prints the stored bytes as they are.
  EXPECT_EQ(Nokv({"ls", "/odd"}).out, invalid + "\n" + cafe + "\n" + literal + "\n");
}

TEST_F(CliTest, ErrorsNameThePathAndUseDocumentedExitCodes) {
  auto missing = Nokv({"cat", "/nope"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_EQ(missing.err, "nokv: cat /nope: /nope does not exist\n");
  EXPECT_EQ(Nokv({"ls", "/nope"}).exit_code, 3);
  auto bad_flag = Nokv({"ls", "--bogus"});
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_NE(bad_flag.err.find("unknown flag --bogus"), std::string::npos);
  EXPECT_EQ(Nokv({"frobnicate"}).exit_code, 2);
  ASSERT_EQ(Nokv({"mkdir", "/d"}).exit_code, 0);
  ASSERT_EQ(Nokv({"put", "-", "/d/f"}, "x").exit_code, 0);
  auto not_empty = Nokv({"rm", "/d"});
  EXPECT_EQ(not_empty.exit_code, 4);
  EXPECT_NE(not_empty.err.find("(use -r)"), std::string::npos) << not_empty.err;
  EXPECT_EQ(Nokv({"rm", "-r", "/d"}).exit_code, 0);
  EXPECT_EQ(Nokv({"put", "-", "/relative"}, "x").exit_code, 0);
  EXPECT_EQ(Nokv({"put", "-", "relative"}, "x").exit_code, 2);
}

TEST_F(CliTest, ALockedDataDirectoryIsBusyNamingTheHolder) {
  fs::EmbeddedOptions options;
  options.data_dir = data_.path();
  auto holder = fs::OpenEmbedded(options);
  ASSERT_TRUE(holder.ok()) << holder.status().ToString();
  auto busy = Nokv({"ls", "/"});
  EXPECT_EQ(busy.exit_code, 5);
  EXPECT_NE(busy.err.find("held by pid " + std::to_string(getpid())), std::string::npos)
      << busy.err;
}

TEST_F(CliTest, UninitializedDirectoryGetsAHint) {
  auto r = testing::RunProgram({NOKV_BINARY, "--data-dir", work_.Sub("never"), "ls"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("nokv init"), std::string::npos) << r.err;
}

TEST_F(CliTest, HelpAndVersion) {
  auto help = testing::RunProgram({NOKV_BINARY, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("exit codes"), std::string::npos);
  auto put_help = Nokv({"put", "--help"});
  EXPECT_NE(put_help.out.find("usage: nokv put"), std::string::npos);
  EXPECT_EQ(testing::RunProgram({NOKV_BINARY, "--version"}).out.substr(0, 5), "nokv ");
}

// Parsing by CLI11: combined short flags, --flag=value, NOKV_* variables for
// global flags, size suffixes, and -h meaning human sizes where it can.
TEST_F(CliTest, CombinedShortFlagsAndFlagEqualsValue) {
  ASSERT_EQ(Nokv({"put", "-", "/t/sub/f"}, "12345").exit_code, 0);
  auto lr = Nokv({"ls", "-lR", "/t"});
  ASSERT_EQ(lr.exit_code, 0) << lr.err;
  EXPECT_NE(lr.out.find("/t/sub:\n"), std::string::npos) << lr.out;
  EXPECT_NE(lr.out.find("         5  "), std::string::npos) << lr.out;  // exact bytes
  auto range = Nokv({"cat", "--range=1:3", "/t/sub/f"});
  EXPECT_EQ(range.out, "234") << range.err;
  auto equals_dir =
      testing::RunProgram({NOKV_BINARY, "--data-dir=" + data_.path(), "cat", "/t/sub/f"});
  EXPECT_EQ(equals_dir.out, "12345") << equals_dir.err;
  EXPECT_EQ(Nokv({"rm", "-f", "/t/missing"}).exit_code, 0);
  EXPECT_EQ(Nokv({"rm", "/t/missing"}).exit_code, 3);
  auto rf = Nokv({"rm", "-rf", "/t", "/t/also-missing"});
  EXPECT_EQ(rf.exit_code, 0) << rf.err;
  EXPECT_EQ(Nokv({"ls", "/t"}).exit_code, 3);
  // Global flags after the command name, and "--" ending the flags.
  ASSERT_EQ(Nokv({"put", "-", "/-dash"}, "d").exit_code, 0);
  auto after = Nokv({"stat", "/-dash", "--json"});
  EXPECT_EQ(nlohmann::json::parse(after.out, nullptr, false)["size_bytes"], 1) << after.out;
  EXPECT_EQ(Nokv({"cat", "--", "/-dash"}).out, "d");
}

TEST_F(CliTest, EveryGlobalFlagHasAnEnvironmentVariable) {
  ASSERT_EQ(Nokv({"put", "-", "/e"}, "env").exit_code, 0);
  auto env = testing::RunProgram(
      {"env", "NOKV_DATA_DIR=" + data_.path(), "NOKV_JSON=1", NOKV_BINARY, "stat", "/e"});
  ASSERT_EQ(env.exit_code, 0) << env.err;
  EXPECT_EQ(nlohmann::json::parse(env.out, nullptr, false)["size_bytes"], 3) << env.out;
  // A false value turns a switch off; a flag on the command line wins.
  auto off = testing::RunProgram(
      {"env", "NOKV_DATA_DIR=" + data_.path(), "NOKV_JSON=0", NOKV_BINARY, "cat", "/e"});
  EXPECT_EQ(off.out, "env");
  auto wins = testing::RunProgram({"env", "NOKV_DATA_DIR=" + work_.Sub("elsewhere"), NOKV_BINARY,
                                   "--data-dir", data_.path(), "cat", "/e"});
  EXPECT_EQ(wins.out, "env") << wins.err;
  auto bad = testing::RunProgram(
      {"env", "NOKV_DATA_DIR=" + data_.path(), "NOKV_DURABILITY=fast", NOKV_BINARY, "ls"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("fast"), std::string::npos) << bad.err;
}

TEST_F(CliTest, SizesTakeSuffixesAndBadSizesAreUsageErrors) {
  for (const char* good : {"10GiB", "512M", "4096", "2TB", "1k"}) {
    auto r = Nokv({"--cache-bytes", good, "ls", "/"});
    EXPECT_EQ(r.exit_code, 0) << good << ": " << r.err;
  }
  for (const char* bad : {"10X", "1.5G", "", "G", "-1", "99999999999P"}) {
    auto r = Nokv({"--cache-bytes", bad, "ls", "/"});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("--cache-bytes"), std::string::npos) << bad << ": " << r.err;
  }
}

TEST_F(CliTest, DashHIsHumanSizesWhereItCanBeAndHelpElsewhere) {
  ASSERT_EQ(Nokv({"put", WriteLocal("big", std::string(3 << 20, 'x')), "/h/big"}).exit_code, 0);
  auto du = Nokv({"du", "-h", "/h"});
  ASSERT_EQ(du.exit_code, 0) << du.err;
  EXPECT_EQ(du.out, "3.0 MiB\t1 files\t1 directories\t/h\n");
  EXPECT_EQ(Nokv({"du", "/h"}).out, "3145728\t1 files\t1 directories\t/h\n");
  auto lh = Nokv({"ls", "-lh", "/h"});
  EXPECT_NE(lh.out.find("3.0 MiB"), std::string::npos) << lh.out;
  auto du_help = Nokv({"du", "--help"});
  EXPECT_EQ(du_help.exit_code, 0);
  EXPECT_NE(du_help.out.find("usage: nokv du"), std::string::npos) << du_help.out;
  auto stat_help = Nokv({"stat", "-h"});
  EXPECT_EQ(stat_help.exit_code, 0);
  EXPECT_NE(stat_help.out.find("usage: nokv stat"), std::string::npos) << stat_help.out;
}

TEST_F(CliTest, HelpIsGeneratedForEveryCommand) {
  auto put_help = Nokv({"put", "--help"});
  EXPECT_NE(put_help.out.find("--if-generation N"), std::string::npos) << put_help.out;
  EXPECT_NE(put_help.out.find("replace DST only at this generation"), std::string::npos);
  auto main_help = testing::RunProgram({NOKV_BINARY, "--help"});
  for (const char* word : {"completion", "snapshot", "--data-dir", "exit codes"}) {
    EXPECT_NE(main_help.out.find(word), std::string::npos) << word;
  }
  auto none = testing::RunProgram({NOKV_BINARY});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("usage: nokv"), std::string::npos);
  auto unknown = Nokv({"ls", "-x"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("ls: unknown flag -x"), std::string::npos) << unknown.err;
  auto missing_value = Nokv({"cat", "/a", "--range"});
  EXPECT_EQ(missing_value.exit_code, 2);
  EXPECT_NE(missing_value.err.find("--range"), std::string::npos) << missing_value.err;
  auto command = Nokv({"frobnicate"});
  EXPECT_NE(command.err.find("unknown command 'frobnicate'"), std::string::npos) << command.err;
  // A word that names a command is a plain argument after the command.
  ASSERT_EQ(Nokv({"put", "-", "/ls"}, "x").exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "/ls"}).out, "x");
  EXPECT_EQ(Nokv({"snapshot", "ls"}).exit_code, 0);
}

// Runs `script` in `shell` (-c) with nokv's directory first on PATH.
RunResult InShell(const std::string& shell, const std::string& script) {
  std::string dir = stdfs::path(NOKV_BINARY).parent_path().string();
  return testing::RunProgram({"env", "PATH=" + dir + ":/usr/bin:/bin", shell, "-c", script});
}

TEST_F(CliTest, BashCompletionLoadsAndCompletes) {
  auto complete = [](const std::string& line) {
    auto r = InShell("bash", "source <(nokv completion bash) || exit 9; COMP_WORDS=(" + line +
                                 "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _nokv; "
                                 "printf '%s\\n' \"${COMPREPLY[@]}\"");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  EXPECT_EQ(complete("nokv sna"), "snapshot\n");
  EXPECT_EQ(complete("nokv --json sna"), "snapshot\n");
  EXPECT_EQ(complete("nokv --data-dir /x snapshot cr"), "create\n");
  EXPECT_EQ(complete("nokv ls --rec"), "--recursive\n");
  EXPECT_EQ(complete("nokv --object-store t"), "tiered\n");
  EXPECT_EQ(complete("nokv completion z"), "zsh\n");
}

TEST_F(CliTest, ZshAndFishCompletionsLoadAndComplete) {
  auto zsh = InShell("zsh",
                     "autoload -U compinit && compinit -u && "
                     "source <(nokv completion zsh) && print -r -- $_comps[nokv]");
  EXPECT_EQ(zsh.exit_code, 0) << zsh.err;
  EXPECT_EQ(zsh.out, "_nokv\n") << zsh.err;
  auto fish = InShell("fish",
                      "nokv completion fish | source; complete -C 'nokv sna'; "
                      "complete -C 'nokv ls --recu'");
  EXPECT_EQ(fish.exit_code, 0) << fish.err;
  EXPECT_NE(fish.out.find("snapshot\tcreate, list"), std::string::npos) << fish.out;
  EXPECT_NE(fish.out.find("--recursive\trecurse"), std::string::npos) << fish.out;
}

TEST_F(CliTest, ManPageIsMadeFromTheSameDefinitions) {
  auto man = Nokv({"man"});
  ASSERT_EQ(man.exit_code, 0) << man.err;
  std::string page = man.out;
  EXPECT_EQ(page.substr(0, 8), ".TH NOKV");
  auto rendered = testing::RunProgram({"sh", "-c",
                                       "groff -man -Tascii -P-cbu 2>&1 >/dev/null | "
                                       "grep -v '^$' || true; echo end"},
                                      page);
  EXPECT_EQ(rendered.out, "end\n") << "groff warnings: " << rendered.out;
  auto text = testing::RunProgram({"sh", "-c", "groff -man -Tascii -P-cbu 2>/dev/null"}, page);
  for (const char* word : {"--if-generation", "NOKV_DATA_DIR", "snapshot", "completion",
                           "EXIT STATUS", "--recursive"}) {
    EXPECT_NE(text.out.find(word), std::string::npos) << word;
  }
}

// Like git finds .git: with no --data-dir and no NOKV_DATA_DIR, a command
// uses the nearest data directory (or nokv-data inside one) upward from
// where it runs; init makes ./nokv-data where it runs.
TEST_F(CliTest, DataDirIsFoundUpwardFromASubdirectory) {
  nokv::testing::TempDir project;
  auto bare = [&](std::vector<std::string> args, const std::string& cwd,
                  const std::string& input = {}) {
    args.insert(args.begin(), {"env", "-u", "NOKV_DATA_DIR", NOKV_BINARY});
    return testing::RunProgram(args, input, cwd);
  };
  auto init = bare({"init"}, project.path());
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_EQ(init.out, "initialized ./nokv-data\n");
  std::string deep = project.Sub("a/b/c");
  stdfs::create_directories(deep);
  ASSERT_EQ(bare({"put", "-", "/from-deep"}, deep, "deep").exit_code, 0);
  EXPECT_EQ(bare({"cat", "/from-deep"}, project.path()).out, "deep");
  // Inside the data directory itself, too.
  EXPECT_EQ(bare({"cat", "/from-deep"}, project.Sub("nokv-data/meta")).out, "deep");
  auto shown = bare({"--json", "config", "show"}, deep);
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  auto config = nlohmann::json::parse(shown.out, nullptr, false);
  EXPECT_EQ(config["data_dir"]["value"], project.Sub("nokv-data"));
  EXPECT_EQ(config["data_dir"]["source"], "found upward from " + deep);
  // --data-dir and NOKV_DATA_DIR win over the search.
  auto flag =
      testing::RunProgram({NOKV_BINARY, "--data-dir", data_.path(), "cat", "/from-deep"}, "", deep);
  EXPECT_EQ(flag.exit_code, 3) << flag.err;
  auto env = testing::RunProgram(
      {"env", "NOKV_DATA_DIR=" + data_.path(), NOKV_BINARY, "cat", "/from-deep"}, "", deep);
  EXPECT_EQ(env.exit_code, 3) << env.err;
  // Nothing found: a hint to init, and nothing is created.
  nokv::testing::TempDir empty;
  auto none = bare({"ls", "/"}, empty.path());
  EXPECT_EQ(none.exit_code, 3);
  EXPECT_NE(none.err.find("no data directory in " + empty.path() + " or any directory above it"),
            std::string::npos)
      << none.err;
  EXPECT_FALSE(stdfs::exists(empty.Sub("nokv-data")));
}

// Settings kept with the data (local store): recorded at init, contradicting
// flags and NOKV_* variables refused with what is stored, damage reported.
TEST_F(CliTest, StoredSettingsRefuseContradictingFlags) {
  auto settings = nlohmann::json::parse(std::ifstream(data_.Sub("settings.json")), nullptr, false);
  EXPECT_EQ(settings, nlohmann::json::parse(R"({"format":"nokv-settings","version":1,
      "object_store":{"kind":"local"},"block_size":4194304})"));
  ASSERT_EQ(Nokv({"put", "-", "/f"}, "x").exit_code, 0);
  auto flag = Nokv({"--object-store", "s3", "ls", "/"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_NE(flag.err.find("flag --object-store says s3, but " + data_.Sub("settings.json") +
                          " stores object_store local"),
            std::string::npos)
      << flag.err;
  auto env = testing::RunProgram(
      {"env", "NOKV_S3_BUCKET=elsewhere", NOKV_BINARY, "--data-dir", data_.path(), "cat", "/f"});
  EXPECT_EQ(env.exit_code, 2);
  EXPECT_NE(env.err.find("env NOKV_S3_BUCKET says elsewhere"), std::string::npos) << env.err;
  // The same value as stored is fine.
  EXPECT_EQ(Nokv({"--object-store=local", "cat", "/f"}).out, "x");
  auto shown = nlohmann::json::parse(Nokv({"--json", "config", "show"}).out, nullptr, false);
  EXPECT_EQ(shown["object_store"]["source"], "stored in " + data_.Sub("settings.json"));
  EXPECT_EQ(shown["block_size"]["value"], "4194304");
  EXPECT_EQ(shown["durability"]["source"], "default");
  // Re-init with another block size is refused too; with none it verifies.
  EXPECT_EQ(Nokv({"init", "--block-size", "1M"}).exit_code, 2);
  EXPECT_EQ(Nokv({"init"}).exit_code, 0);

  std::ofstream(data_.Sub("settings.json")) << "{not json";
  auto damaged = Nokv({"ls", "/"});
  EXPECT_EQ(damaged.exit_code, 6);
  EXPECT_NE(damaged.err.find("settings.json: not a JSON object"), std::string::npos) << damaged.err;
  std::ofstream(data_.Sub("settings.json"))
      << R"({"format":"nokv-settings","version":9,"object_store":{"kind":"local"},"block_size":1})";
  auto newer = Nokv({"ls", "/"});
  EXPECT_EQ(newer.exit_code, 4);
  EXPECT_NE(newer.err.find("written by a newer nokv"), std::string::npos) << newer.err;
  // A directory from before settings were kept opens as before; init records them.
  stdfs::remove(data_.Sub("settings.json"));
  EXPECT_EQ(Nokv({"cat", "/f"}).out, "x");
  ASSERT_EQ(Nokv({"init", "--block-size", "1MiB"}).exit_code, 0);
  settings = nlohmann::json::parse(std::ifstream(data_.Sub("settings.json")), nullptr, false);
  EXPECT_EQ(settings["block_size"], 1 << 20);
  EXPECT_EQ(Nokv({"init", "--block-size", "12"}).exit_code, 2);
}

int64_t LocalMtimeNs(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// put DIR DST syncs: unchanged files are skipped (size+mtime, then digest),
// changed ones are published in one commit, --delete removes what the
// source lost, --dry-run changes nothing, mtimes, empty directories and
// symlinks are kept.
TEST_F(CliTest, PutOfATreeSyncs) {
  WriteLocal("t/a.txt", "alpha");
  WriteLocal("t/sub/b.json", "{\"b\": 1}");
  WriteLocal("t/skip.tmp", "temporary");
  stdfs::create_directories(work_.Sub("t/empty"));
  stdfs::create_symlink("a.txt", work_.Sub("t/link"));
  auto first = Nokv({"--json", "put", "--exclude", "*.tmp", work_.Sub("t"), "/t"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto doc = nlohmann::json::parse(first.out, nullptr, false);
  EXPECT_EQ(doc["files"], 2);
  EXPECT_EQ(doc["published"][0]["generation"], doc["published"][1]["generation"])
      << "one commit for every file";
  EXPECT_EQ(Nokv({"ls", "/t"}).out, "a.txt\nempty/\nlink\nsub/\n");
  auto link = nlohmann::json::parse(Nokv({"--json", "stat", "/t/link"}).out, nullptr, false);
  EXPECT_EQ(link["target"], "a.txt");
  auto a = nlohmann::json::parse(Nokv({"--json", "stat", "/t/a.txt"}).out, nullptr, false);
  EXPECT_EQ(a["mtime_ns"], std::to_string(LocalMtimeNs(work_.Sub("t/a.txt"))));

  // Nothing changed: nothing published.
  auto again = nlohmann::json::parse(
      Nokv({"--json", "put", "--exclude", "*.tmp", work_.Sub("t"), "/t"}).out, nullptr, false);
  EXPECT_EQ(again["files"], 0);
  EXPECT_EQ(again["unchanged"], 2);

  // Same bytes, new mtime: only the mtime moves. Same size, new bytes: replaced.
  stdfs::last_write_time(work_.Sub("t/a.txt"),
                         stdfs::last_write_time(work_.Sub("t/a.txt")) + std::chrono::hours(1));
  WriteLocal("t/sub/b.json", "{\"b\": 2}");
  auto changed = nlohmann::json::parse(
      Nokv({"--json", "put", "--exclude", "*.tmp", work_.Sub("t"), "/t"}).out, nullptr, false);
  EXPECT_EQ(changed["actions"], nlohmann::json::parse(R"([
      {"action": "mtime", "path": "a.txt", "size_bytes": 5},
      {"action": "changed", "path": "sub/b.json", "size_bytes": 8}])"));
  auto a2 = nlohmann::json::parse(Nokv({"--json", "stat", "/t/a.txt"}).out, nullptr, false);
  EXPECT_EQ(a2["generation"], a["generation"]);
  EXPECT_EQ(a2["mtime_ns"], std::to_string(LocalMtimeNs(work_.Sub("t/a.txt"))));
  EXPECT_EQ(Nokv({"cat", "/t/sub/b.json"}).out, "{\"b\": 2}");

  // --delete, first as a dry run that changes nothing.
  stdfs::remove(work_.Sub("t/a.txt"));
  auto plan = Nokv({"put", "-n", "--delete", "--exclude", "*.tmp", work_.Sub("t"), "/t"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_EQ(plan.out, "delete\ta.txt\n");
  EXPECT_EQ(Nokv({"cat", "/t/a.txt"}).out, "alpha");
  ASSERT_EQ(Nokv({"put", "--delete", "--exclude", "*.tmp", work_.Sub("t"), "/t"}).exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "/t/a.txt"}).exit_code, 3);
  // Excluded files are neither sent nor deleted.
  EXPECT_EQ(Nokv({"cat", "/t/skip.tmp"}).exit_code, 3);

  // --symlinks follow copies what a link points to; a loop is refused.
  WriteLocal("f/real.txt", "real");
  stdfs::create_symlink("real.txt", work_.Sub("f/alias.txt"));
  ASSERT_EQ(Nokv({"put", "--symlinks", "follow", work_.Sub("f"), "/f"}).exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "/f/alias.txt"}).out, "real");
  ASSERT_EQ(Nokv({"put", "--symlinks", "skip", work_.Sub("f"), "/g"}).exit_code, 0);
  EXPECT_EQ(Nokv({"ls", "/g"}).out, "real.txt\n");
  stdfs::create_directory_symlink("..", work_.Sub("f/up"));
  auto loop = Nokv({"put", "--symlinks", "follow", work_.Sub("f"), "/h"});
  EXPECT_EQ(loop.exit_code, 2);
  EXPECT_NE(loop.err.find("symbolic link loop"), std::string::npos) << loop.err;
  EXPECT_EQ(Nokv({"ls", "/h"}).exit_code, 3);
  // A tree never takes --if-generation.
  EXPECT_EQ(Nokv({"put", "--if-generation", "3", work_.Sub("t"), "/t"}).exit_code, 2);
}

TEST_F(CliTest, GetOfATreeSyncs) {
  WriteLocal("t/a.txt", "alpha");
  WriteLocal("t/sub/b.json", "{\"b\": 1}");
  stdfs::create_directories(work_.Sub("t/empty"));
  stdfs::create_symlink("a.txt", work_.Sub("t/link"));
  ASSERT_EQ(Nokv({"put", work_.Sub("t"), "/t"}).exit_code, 0);
  std::string back = work_.Sub("back");
  auto get = Nokv({"get", "/t", back});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(stdfs::is_directory(back + "/empty"));
  EXPECT_EQ(stdfs::read_symlink(back + "/link"), "a.txt");
  EXPECT_EQ(LocalMtimeNs(back + "/sub/b.json"), LocalMtimeNs(work_.Sub("t/sub/b.json")));
  auto again = nlohmann::json::parse(Nokv({"--json", "get", "/t", back}).out, nullptr, false);
  EXPECT_EQ(again["files"], 0);
  EXPECT_EQ(again["unchanged"], 2);
  // A local edit of the same size is found by digest and undone; an extra
  // local file goes with --delete.
  WriteLocal("back/a.txt", "ALPHA");
  WriteLocal("back/extra", "x");
  auto plan = Nokv({"get", "--dry-run", "--delete", "/t", back});
  EXPECT_EQ(plan.out, "delete\textra\nchanged\ta.txt\t5 B\n") << plan.err;
  ASSERT_EQ(Nokv({"get", "--delete", "--no-mtime", "/t", back}).exit_code, 0);
  std::ifstream in(back + "/a.txt");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), "alpha");
  EXPECT_FALSE(stdfs::exists(back + "/extra"));
  EXPECT_NE(LocalMtimeNs(back + "/a.txt"), LocalMtimeNs(work_.Sub("t/a.txt")));
}

TEST_F(CliTest, RemoteGlobsInLsRmAndGet) {
  for (const char* run : {"r1", "r2", "r3"}) {
    ASSERT_EQ(Nokv({"put", "-", std::string("/runs/") + run + "/metrics.jsonl"}, run).exit_code, 0);
  }
  ASSERT_EQ(Nokv({"put", "-", "/runs/r1/other"}, "o").exit_code, 0);
  EXPECT_EQ(Nokv({"ls", "/runs/*/metrics.jsonl"}).out,
            "/runs/r1/metrics.jsonl\n/runs/r2/metrics.jsonl\n/runs/r3/metrics.jsonl\n");
  auto json = nlohmann::json::parse(Nokv({"--json", "ls", "/runs/r[12]"}).out, nullptr, false);
  EXPECT_EQ(json["entries"].size(), 2u);
  EXPECT_EQ(json["entries"][1]["path"], "/runs/r2");
  ASSERT_EQ(Nokv({"get", "/runs/*/metrics.jsonl", work_.Sub("out")}).exit_code, 0);
  std::ifstream in(work_.Sub("out/r2/metrics.jsonl"));
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), "r2");
  EXPECT_FALSE(stdfs::exists(work_.Sub("out/r1/other")));
  ASSERT_EQ(Nokv({"rm", "/runs/r1/*"}).exit_code, 0);
  EXPECT_EQ(Nokv({"ls", "/runs/r1"}).out, "");
  auto none = Nokv({"rm", "/runs/zz*"});
  EXPECT_EQ(none.exit_code, 3);
  EXPECT_NE(none.err.find("no path matches /runs/zz*"), std::string::npos) << none.err;
  EXPECT_EQ(Nokv({"rm", "-f", "/runs/zz*"}).exit_code, 0);
}

// Progress (bytes, rate, ETA) is drawn on a terminal, never into a pipe.
TEST_F(CliTest, ProgressOnATerminalOnly) {
  std::string big = WriteLocal("big", Random(24 << 20, 5));
  std::string command = std::string("NOKV_PROGRESS_DELAY=0s ") + NOKV_BINARY + " --data-dir " +
                        data_.path() + " put " + big + " /big";
  auto tty = testing::RunProgram({"script", "-qec", command, "/dev/null"});
  ASSERT_EQ(tty.exit_code, 0) << tty.out;
  EXPECT_NE(tty.out.find("\rput /big: "), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("/ 24 MiB ("), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("/s"), std::string::npos) << tty.out;
  auto piped = testing::RunProgram({"env", "NOKV_PROGRESS_DELAY=0s", NOKV_BINARY, "--data-dir",
                                    data_.path(), "put", "--replace", big, "/big"});
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.err, "");
}

// Symbolic links in paths: links before the last component are always
// followed; the last one by cat, get and ls of a directory, not by stat
// (unless -L) or rm. Loops fail (ELOOP); a snapshot read never leaves the
// snapshot's root through a link.
TEST_F(CliTest, SymlinksAreFollowedInPaths) {
  ASSERT_EQ(Nokv({"put", "-", "/runs/ckpt-12/model.bin"}, "m12").exit_code, 0);
  ASSERT_EQ(Nokv({"ln", "-s", "ckpt-12", "/runs/latest"}).exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "/runs/latest/model.bin"}).out, "m12");
  ASSERT_EQ(Nokv({"ln", "-s", "/runs/latest/model.bin", "/model"}).exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "/model"}).out, "m12");
  ASSERT_EQ(Nokv({"mkdir", "/runs/other"}).exit_code, 0);
  ASSERT_EQ(Nokv({"ln", "-s", "../ckpt-12/model.bin", "/runs/other/m"}).exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "/runs/other/m"}).out, "m12");
  EXPECT_EQ(Nokv({"ls", "/runs/latest"}).out, "model.bin\n");
  EXPECT_NE(Nokv({"ls", "-l", "/runs/latest"}).out.find("/runs/latest -> ckpt-12"),
            std::string::npos);
  auto lstat = nlohmann::json::parse(Nokv({"--json", "stat", "/runs/latest"}).out, nullptr, false);
  EXPECT_EQ(lstat["kind"], "symlink");
  auto stat =
      nlohmann::json::parse(Nokv({"--json", "stat", "-L", "/runs/latest"}).out, nullptr, false);
  EXPECT_EQ(stat["kind"], "directory");
  EXPECT_EQ(stat["path"], "/runs/ckpt-12");
  // Writes through a link land in its target.
  ASSERT_EQ(Nokv({"put", "-", "/runs/latest/new.bin"}, "new").exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "/runs/ckpt-12/new.bin"}).out, "new");
  ASSERT_EQ(Nokv({"get", "/runs/latest", work_.Sub("out")}).exit_code, 0);
  EXPECT_TRUE(stdfs::exists(work_.Sub("out/model.bin")));
  auto got = Nokv({"get", "/model", "-"});
  EXPECT_EQ(got.out, "m12") << got.err;
  // rm removes the link, not what it points to.
  ASSERT_EQ(Nokv({"rm", "/runs/latest"}).exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "/runs/ckpt-12/model.bin"}).out, "m12");
  EXPECT_EQ(Nokv({"cat", "/model"}).exit_code, 3);

  ASSERT_EQ(Nokv({"mkdir", "/loop"}).exit_code, 0);
  ASSERT_EQ(Nokv({"ln", "-s", "b", "/loop/a"}).exit_code, 0);
  ASSERT_EQ(Nokv({"ln", "-s", "a", "/loop/b"}).exit_code, 0);
  for (const char* path : {"/loop/a", "/loop/a/x"}) {
    auto loop = Nokv({"cat", path});
    EXPECT_EQ(loop.exit_code, 4) << path;
    EXPECT_NE(loop.err.find("too many levels of symbolic links"), std::string::npos) << loop.err;
  }

  ASSERT_EQ(Nokv({"put", "-", "/s/in"}, "in").exit_code, 0);
  ASSERT_EQ(Nokv({"put", "-", "/outside/secret"}, "secret").exit_code, 0);
  ASSERT_EQ(Nokv({"ln", "-s", "/outside", "/s/out"}).exit_code, 0);
  ASSERT_EQ(Nokv({"snapshot", "create", "snap", "--root", "/s"}).exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "--snapshot", "snap", "/s/in"}).out, "in");
  auto escaped = Nokv({"cat", "--snapshot", "snap", "/s/out/secret"});
  EXPECT_EQ(escaped.exit_code, 3);
  EXPECT_NE(escaped.err.find("outside snapshot 'snap'"), std::string::npos) << escaped.err;
  EXPECT_EQ(escaped.out, "");
}

TEST_F(CliTest, BackupThenRestoreIntoANewDirectory) {
  std::string big = Random(3 << 20, 7);
  ASSERT_EQ(Nokv({"put", "-", "/models/big.bin"}, big).exit_code, 0);
  ASSERT_EQ(Nokv({"put", "-", "/notes.txt"}, "hello\n").exit_code, 0);
  auto backup = Nokv({"--json", "backup", "--keep", "2"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  auto report = nlohmann::json::parse(backup.out);
  std::string id = report["backup"]["id"];
  EXPECT_EQ(report["backup"]["namespace"]["files"], 2);
  auto listed = Nokv({"--json", "backup", "ls"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(nlohmann::json::parse(listed.out)[0]["id"], id);
  // Written after the backup: not restored.
  ASSERT_EQ(Nokv({"put", "-", "/late.txt"}, "late").exit_code, 0);

  std::string fresh = work_.Sub("restored");
  auto restore = testing::RunProgram(
      {NOKV_BINARY, "--data-dir", fresh, "restore", "--from", data_.path()}, "", work_.path());
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_NE(restore.out.find("restored " + fresh + " from backup " + id), std::string::npos)
      << restore.out;
  auto in_fresh = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {NOKV_BINARY, "--data-dir", fresh});
    return testing::RunProgram(args, "", work_.path());
  };
  EXPECT_EQ(in_fresh({"cat", "/models/big.bin"}).out, big);
  EXPECT_EQ(in_fresh({"cat", "/notes.txt"}).out, "hello\n");
  EXPECT_EQ(in_fresh({"stat", "/late.txt"}).exit_code, 3);
  // Never over a directory that holds anything; NEW must be named.
  auto again = testing::RunProgram(
      {NOKV_BINARY, "--data-dir", fresh, "restore", "--from", data_.path()}, "", work_.path());
  EXPECT_EQ(again.exit_code, 4) << again.err;
  EXPECT_NE(again.err.find("not empty"), std::string::npos) << again.err;
  auto unnamed = testing::RunProgram({NOKV_BINARY, "restore"}, "", work_.path());
  EXPECT_EQ(unnamed.exit_code, 2) << unnamed.err;
}

TEST_F(CliTest, DoctorAndGcOnAHealthyDirectory) {
  ASSERT_EQ(Nokv({"put", "-", "/a"}, "aaaa").exit_code, 0);
  ASSERT_EQ(Nokv({"put", "--replace", "-", "/a"}, "bbbb").exit_code, 0);
  auto doctor = Nokv({"doctor"});
  EXPECT_EQ(doctor.exit_code, 0) << doctor.out;
  EXPECT_NE(doctor.out.find("healthy"), std::string::npos);
  auto verify = Nokv({"doctor", "--verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_NE(verify.out.find("1 verified (4 bytes read), 0 damaged; bodies: 1 verified"),
            std::string::npos)
      << verify.out;
  auto gc = nlohmann::json::parse(Nokv({"--json", "gc"}).out);
  EXPECT_EQ(gc["blocks_deleted"], 1);
  // Damage: delete a live block behind NoKV's back; doctor must notice.
  for (auto& e : stdfs::recursive_directory_iterator(data_.Sub("objects"))) {
    if (e.is_regular_file() && e.path().string().find("blocks") != std::string::npos) {
      stdfs::remove(e.path());
    }
  }
  auto broken = Nokv({"doctor"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.out.find("MISSING block"), std::string::npos) << broken.out;
  auto broken_verify = Nokv({"doctor", "--verify"});
  EXPECT_EQ(broken_verify.exit_code, 1);
  EXPECT_NE(broken_verify.out.find("MISSING block"), std::string::npos) << broken_verify.out;
}

// Damaged block files: every read, whole or ranged, that touches a damaged
// chunk reports the damage (exit 6, damaged, naming the block) and never
// prints the damaged bytes; a ranged read of intact chunks of the same block
// is served, checked, and `doctor --verify` finds the damage.
TEST_F(CliTest, DamagedBlocksAreReportedByEveryReadAndNeverServed) {
  std::string bytes = Random(3 << 20, 7);
  ASSERT_EQ(Nokv({"put", WriteLocal("f", bytes), "/f"}).exit_code, 0);
  std::string block;
  for (auto& e : stdfs::recursive_directory_iterator(data_.Sub("objects"))) {
    if (e.is_regular_file() && e.path().string().find("blocks") != std::string::npos) {
      block = e.path().string();
    }
  }
  ASSERT_FALSE(block.empty());
  {
    std::fstream f(block, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100000);
    f.put(static_cast<char>(bytes[100000] ^ 0x5a));
  }
  for (std::vector<std::string> args : {std::vector<std::string>{"cat", "/f"},
                                        {"cat", "--range", "99990:20", "/f"},
                                        {"cat", "--range", "65536:4096", "/f"},
                                        {"get", "/f", work_.Sub("copy")}}) {
    SCOPED_TRACE(args[0] + " " + args[1]);
    auto read = Nokv(args);
    EXPECT_EQ(read.exit_code, 6) << read.err;
    EXPECT_NE(read.err.find("does not match its checksums"), std::string::npos) << read.err;
    EXPECT_NE(read.err.find("blocks/"), std::string::npos) << read.err;
    EXPECT_EQ(read.out.find(bytes.substr(0, 4096)), std::string::npos);
    EXPECT_EQ(read.out.find(bytes.substr(65536, 4096)), std::string::npos);
  }
  // The first 64 KiB chunk is intact: a range inside it is served.
  auto intact = Nokv({"cat", "--range", "0:4096", "/f"});
  EXPECT_EQ(intact.exit_code, 0) << intact.err;
  EXPECT_EQ(intact.out, bytes.substr(0, 4096));
  auto scrub = Nokv({"doctor", "--verify"});
  EXPECT_EQ(scrub.exit_code, 1);
  EXPECT_NE(scrub.out.find("FAILED block"), std::string::npos) << scrub.out;
  EXPECT_NE(scrub.out.find("does not match its SHA-256"), std::string::npos) << scrub.out;
  std::string copied;
  if (std::ifstream in(work_.Sub("copy"), std::ios::binary); in) {
    copied.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_NE(copied, bytes);
}

// fsck end to end: clean, then damage written into the Holt keys (a dangling
// entry, a drifted reference count) and a flipped block byte; fsck names
// exactly that damage (exit 6), --repair fixes what it can and says so, and
// every file still reads back.
TEST_F(CliTest, FsckFindsRepairsAndScrubs) {
  ASSERT_EQ(Nokv({"put", "-", "/d/a"}, "alpha bytes").exit_code, 0);
  ASSERT_EQ(Nokv({"put", "-", "/d/b"}, "bravo bytes").exit_code, 0);
  auto clean = Nokv({"fsck", "--verify"});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_NE(clean.out.find("clean"), std::string::npos) << clean.out;
  std::string block_of_a;
  {
    meta::MetaOptions options;
    auto meta = meta::MetaService::Open(data_.Sub("meta"), std::move(options));
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    auto attr = (*meta)->Stat("/d/a");
    ASSERT_TRUE(attr.ok());
    auto manifest = (*meta)->GetManifest(attr->inode, attr->generation);
    ASSERT_TRUE(manifest.ok());
    Digest digest = manifest->layout.blocks.at(0).digest;
    block_of_a = DigestHex(digest);
    holt::Batch batch;
    batch.Put(meta::DentryKey(meta::kRootInode, "ghost"),
              meta::EncodeDentry(4242, meta::FileType::kFile));
    batch.Put(meta::BlockRefKey(digest), meta::EncodeBlockRef({3, meta::BlockState::kLive}));
    ASSERT_TRUE((*meta)->engine()->Commit(batch).ok());
  }
  auto found = Nokv({"--json", "fsck"});
  EXPECT_EQ(found.exit_code, 6) << found.out << found.err;
  auto report = nlohmann::json::parse(found.out);
  EXPECT_EQ(report["counts"], nlohmann::json({{"dangling_dentry", 1}, {"refcount_drift", 1}}))
      << found.out;
  EXPECT_FALSE(report["clean"].get<bool>());
  auto repaired = Nokv({"fsck", "--repair"});
  EXPECT_EQ(repaired.exit_code, 0) << repaired.out << repaired.err;
  EXPECT_NE(repaired.out.find("repair: dropped the entry"), std::string::npos) << repaired.out;
  EXPECT_NE(repaired.out.find("repair: set the count to 1"), std::string::npos) << repaired.out;
  EXPECT_EQ(Nokv({"fsck"}).exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "/d/a"}).out, "alpha bytes");
  EXPECT_EQ(Nokv({"cat", "/d/b"}).out, "bravo bytes");
  // The scrub: a flipped byte is found only by reading, and named with its file.
  for (auto& e : stdfs::recursive_directory_iterator(data_.Sub("objects"))) {
    if (e.is_regular_file() && e.path().filename() == block_of_a) {
      std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(2);
      f.put('X');
    }
  }
  EXPECT_EQ(Nokv({"fsck"}).exit_code, 0);
  auto scrub = Nokv({"fsck", "--verify", "--rate", "1M/s"});
  EXPECT_EQ(scrub.exit_code, 6) << scrub.out << scrub.err;
  EXPECT_NE(scrub.out.find("damaged_block " + block_of_a), std::string::npos) << scrub.out;
  EXPECT_NE(scrub.out.find("file: /d/a"), std::string::npos) << scrub.out;
  EXPECT_EQ(Nokv({"fsck", "--verify", "--rate", "fast"}).exit_code, 2);
}

// An upload no file references (a writer killed before its publish) is left
// alone for the holder's --orphan-grace (1h by default): fsck does not call
// it leaked and gc keeps it; past the grace fsck reports it and gc deletes it.
TEST_F(CliTest, OrphanGraceDecidesWhenAnUnreferencedUploadIsLeakedAndCollected) {
  ASSERT_EQ(Nokv({"put", "-", "/a"}, "alpha bytes").exit_code, 0);
  fs::EmbeddedOptions options;
  options.data_dir = data_.path();
  auto store = fs::OpenObjectStore(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::string bytes = "bytes nobody published";
  std::string orphan = object::BlockKey(Sha256::Of(bytes));
  ASSERT_TRUE(store->get()->Put(orphan, bytes).ok());
  auto present = [&] { return store->get()->Head(orphan).ok(); };

  EXPECT_EQ(Nokv({"fsck"}).exit_code, 0);
  EXPECT_EQ(Nokv({"gc"}).exit_code, 0);
  EXPECT_TRUE(present());
  auto found = Nokv({"--json", "--orphan-grace", "0s", "fsck"});
  EXPECT_EQ(found.exit_code, 6) << found.out << found.err;
  EXPECT_EQ(nlohmann::json::parse(found.out)["counts"], nlohmann::json({{"leaked_block", 1}}));
  auto gc = Nokv({"--orphan-grace", "0s", "gc"});
  EXPECT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_FALSE(present());
  EXPECT_EQ(Nokv({"--orphan-grace", "0s", "fsck"}).exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "/a"}).out, "alpha bytes");
  EXPECT_EQ(Nokv({"--orphan-grace", "soon", "gc"}).exit_code, 2);
}

TEST_F(CliTest, MalformedNumbersAndCursorsAreRefusedAndChangeNothing) {
  ASSERT_EQ(Nokv({"put", "-", "/a"}, "aaaa").exit_code, 0);
  std::string before = Nokv({"--json", "stat", "/a"}).out;
  const std::vector<std::vector<std::string>> bad = {
      {"cat", "--range", "-1:5", "/a"},
      {"cat", "--range", "1:x", "/a"},
      {"cat", "--range", "1:99999999999999999999", "/a"},
      {"put", "--if-generation", "-1", "-", "/a"},
      {"put", "--if-generation", "", "-", "/a"},
      {"snapshot", "create", "s", "--expires", "100000d"},
      {"watch", "--from", "1.2.3"},
      {"watch", "--from", "7x"},
  };
  for (const auto& args : bad) {
    SCOPED_TRACE(args[0] + " " + args[1] + " " + args[2]);
    auto r = Nokv(args, "bbbb");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  EXPECT_EQ(Nokv({"--json", "stat", "/a"}).out, before);
  EXPECT_EQ(nlohmann::json::parse(Nokv({"--json", "snapshot", "ls"}).out).size(), 0u);
}

TEST_F(CliTest, RecursiveRemoveOfTheRootIsRefusedBeforeRemovingAnything) {
  ASSERT_EQ(Nokv({"put", "-", "/keep/a"}, "aaaa").exit_code, 0);
  auto r = Nokv({"rm", "-r", "/"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("refusing to remove /"), std::string::npos) << r.err;
  EXPECT_EQ(Nokv({"cat", "/keep/a"}).out, "aaaa");
}

}  // namespace
}  // namespace nokv
